//! The Spanish phrasebook (Spain: vosotros), same topics and shape as the English one.

use super::*;

pub(super) const ES_THANKS: &[&str] = &[
    "¡Genial, gracias!",
    "¡Perfecto, muchas gracias!",
    "¡Mil gracias!",
    "¡Muchas gracias, de verdad!",
    "Estupendo, ¡gracias!",
    "¡Gracias por todo!",
];

pub(super) const ES_TOPICS: &[Topic] = &[
    Topic {
        name: "tarta de cumpleaños",
        only: None,
        beats: &[
            &[&[c(&[
                "¿Hacéis tartas de cumpleaños por encargo? Mi peque cumple {age} años el {day}.",
                "Quería encargar una tarta para el {day}. Es el cumple de {kid}, que cumple {age}.",
                "¿Todavía aceptáis encargos de tartas para este {day}?",
            ])]],
            &[&[b(&[
                "¡Claro que sí! Las tartas de celebración de 15 cm cuestan desde {price} y son para unas 12 personas. ¿Qué sabor os gusta?",
                "Sí, el {day} tenemos hueco. Una de 15 cm sale por {price} y da para unas 12 raciones. ¿Tenéis algún sabor en mente?",
                "¡Por supuesto! Para el {day} podemos hacer una de 15 cm desde {price}. ¿Qué sabor preferís?",
            ])]],
            &[&[c(&[
                "De {flavour}, por favor. ¿Podéis escribir «Feliz cumpleaños, {kid}» encima?",
                "¿Podría ser de {flavour}? Y que ponga «Feliz cumple, {kid}».",
                "De {flavour} sería perfecta. ¿Y el nombre de {kid} en azul?",
            ])]],
            &[
                &[
                    c_photo(&[
                        "Algo así, pero con virutas de colores",
                        "La vi en Pinterest, ¿podéis hacer algo parecido?",
                        "",
                    ]),
                    b(&[
                        "¡Qué bonita! Podemos hacer algo así para el {day} sin problema.",
                        "Nos encanta, {kid} va a alucinar.",
                        "Preciosa. La usamos como punto de partida para la tarta de {kid}.",
                    ]),
                ],
                &[],
            ],
            &[&[b(&[
                "Perfecto: tarta de {flavour} de 15 cm con «Feliz cumpleaños, {kid}», para recoger el {day} desde las {time}. ¿Te va bien?",
                "Apuntado como pedido {order}: {flavour}, el nombre de {kid} encima y recogida el {day} a partir de las {time}.",
                "¡Hecho! Pedido {order}, tarta de {flavour} para el {day}. Te mando ahora un enlace para la señal de 10 libras.",
            ])]],
            &[&[c(ES_THANKS).react()]],
            &[
                &[
                    b_photo(&[
                        "¡La tarta de {kid} ya está lista y en su caja! 🎂",
                        "Aquí tienes un adelanto de la tarta de {kid}",
                        "Recién decorada para el gran día de {kid}",
                    ])
                    .later()
                    .react(),
                    c(&[
                        "¡Qué maravilla! A {kid} le va a encantar",
                        "¡Preciosa! Voy para allá.",
                        "¡Qué pasada! 😍 Nos vemos en un rato",
                    ]),
                ],
                &[],
            ],
        ],
    },
    Topic {
        name: "horario",
        only: None,
        beats: &[
            &[
                &[
                    c(&["¿Abrís este domingo?", "¿Qué horario tenéis el domingo?", "¿Abrís los domingos?"]),
                    b(&[
                        "Los domingos abrimos de 9 a 15 h.",
                        "El domingo, de 9:00 a 15:00. Los {bake} vuelan antes del mediodía, ¡ven pronto!",
                        "Los domingos abrimos de 9 a 15 h, y los {bake} salen del horno a las 9.",
                    ]),
                ],
                &[
                    c(&["¿A qué hora abrís el {day}?", "¿Hasta qué hora estáis abiertos el {day}?"]),
                    b(&[
                        "De martes a viernes, de 7:30 a 16:00; el sábado, de 8:00 a 16:00; y el domingo, de 9:00 a 15:00. Los lunes cerramos.",
                        "Nuestro horario: martes a viernes de 7:30 a 16:00, sábados de 8:00 a 16:00 y domingos de 9:00 a 15:00. El lunes descansamos.",
                    ]),
                ],
            ],
            &[
                &[
                    c(&["¿Se puede ir con perro?", "¿Admitís perros dentro?"]),
                    b(&[
                        "¡Claro! Los perros son bienvenidos, tenemos un cuenco de agua en la puerta 🐶",
                        "Sí, los perros que se portan bien pueden entrar. ¡Hasta tenemos galletas para ellos!",
                    ]),
                ],
                &[
                    c(&["¿Tenéis sitio para sentarse?", "¿Hay mesas dentro o es solo para llevar?"]),
                    b(&[
                        "Tenemos unas 20 plazas dentro y tres mesas fuera.",
                        "Sí, hay sitio para unas 20 personas. Los fines de semana se llena sobre las 11.",
                    ]),
                ],
                &[],
            ],
            &[&[c(ES_THANKS).react()], &[c(&["¡Nos vemos el {day}!", "¡Perfecto, pasaremos el {day}!"])]],
        ],
    },
    Topic {
        name: "sin gluten",
        only: None,
        beats: &[
            &[
                &[
                    c(&["¿Tenéis algo sin gluten?", "Mi pareja es celíaca, ¿hay algo que pueda comer?"]),
                    b(&[
                        "Siempre tenemos brownies y bizcocho de naranja y almendra sin gluten, pero no somos un obrador sin gluten: usamos harina de trigo, así que con celiaquía hay que tener cuidado.",
                        "El bizcocho de naranja y almendra y los brownies no llevan gluten, aunque se hacen en la misma cocina y no podemos garantizar que no haya trazas.",
                    ]),
                ],
                &[
                    c(&["¿Tenéis opciones veganas?", "¿Alguno de vuestros dulces es vegano?"]),
                    b(&[
                        "Los rollos de canela del fin de semana son veganos, y la focaccia también. La leche de avena no se cobra aparte.",
                        "¡Sí! La focaccia es vegana todos los días y los fines de semana hay rollos de canela veganos.",
                    ]),
                ],
            ],
            &[
                &[c(&["Gracias por ser tan claros.", "Muy bien, ¡gracias por la info!"])],
                &[
                    c(&["¿Me podéis guardar uno para el {day}?"]),
                    b(&[
                        "Claro, te lo guardo a nombre de {name} para el {day}.",
                        "¡Hecho! Estará detrás del mostrador con tu nombre el {day}.",
                    ]),
                    c(ES_THANKS).react(),
                ],
            ],
        ],
    },
    Topic {
        name: "encargo",
        only: None,
        beats: &[
            &[&[c(&[
                "¿Puedo encargar {count} {bake} para el {day}?",
                "¿Me podéis reservar {count} {bake} para el {day}? Viene la familia.",
                "Quería pedir {count} {bake} para recoger el {day} sobre las {time}.",
            ])
            .edit()]],
            &[&[b(&[
                "¡Sin problema! {count} {bake} para el {day}, para recoger desde las {time}. Es el pedido {order}.",
                "Claro, te aparto {count} {bake} para el {day} con el pedido {order}; pagas al recoger.",
                "¡Sí! Pedido {order}: {count} {bake}, para recoger el {day} desde las {time}.",
            ])]],
            &[&[c(ES_THANKS).react()], &[c(&["¡Nos vemos el {day}!", "¡Genial, hasta el {day}!"])]],
            &[
                &[
                    b(&[
                        "¡Buenos días, {name}! Tu pedido {order} ya está listo en el mostrador.",
                        "Hola {name}, tus {bake} ya están en su caja esperándote.",
                        "¡Tu pedido ya está listo, {name}! Lo tienes detrás de la caja.",
                    ])
                    .later(),
                    c(&["¡Gracias, voy en 20 minutos!", "¡Voy para allá!", "Genial, nos vemos enseguida."]),
                ],
                &[],
            ],
        ],
    },
    Topic {
        name: "objeto perdido",
        only: None,
        beats: &[
            &[&[c(&[
                "Creo que ayer me dejé mi {item} en la mesa de la ventana, ¿lo habéis visto?",
                "Perdona, ¿alguien ha entregado mi {item}? Creo que me lo dejé esta mañana.",
                "¿Me dejé mi {item} en vuestra cafetería?",
            ])]],
            &[&[b(&[
                "¡Sí, lo tenemos! Está detrás del mostrador con tu nombre.",
                "Sí, nos lo entregaron esta mañana. Lo guardamos detrás de la caja hasta que pases.",
                "Lo encontramos debajo del banco de la ventana. Te lo guardamos en el mostrador.",
            ])]],
            &[&[c(&[
                "¡Me salvas la vida, gracias!",
                "¡Menos mal! Paso a por él el {day}.",
                "¡Genial, lo recojo esta tarde!",
            ])
            .react()]],
        ],
    },
];

pub(super) const SPANISH: Phrasebook = Phrasebook {
    topics: ES_TOPICS,
    customer_hello: &["", "¡Hola! ", "Hola, buenas. ", "¡Buenas! "],
    business_hello: &["¡Hola, {name}! ", "Hola {name}, ¡gracias por escribirnos! ", "¡Buenas, {name}! ", ""],
    templates: &[
        "Hola, {name}: te escribimos de Little Crumb Bakehouse por tu pedido {order}. Responde a este mensaje y te contamos los detalles.",
        "¡Hola, {name}! Somos Little Crumb Bakehouse y tenemos novedades sobre tu pedido {order}. Contesta a este mensaje para seguir la conversación.",
    ],
    template_replies: &["¡Hola! Dime", "Hola, ¿todo bien?", "¡Hola! ¿Qué tal?"],
    days: ["domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"],
    times: &["9:30", "10:00", "10:30", "11:00", "11:30", "12:00", "13:00", "14:00"],
    flavours: &[
        "chocolate",
        "limón y saúco",
        "zanahoria y nueces",
        "frambuesa y pistacho",
        "dulce de leche",
        "café y nueces",
    ],
    bakes: &[
        "rollos de canela",
        "croissants de almendra",
        "bollos de cardamomo",
        "napolitanas de chocolate",
        "brownies",
        "tartaletas de crema",
    ],
    loaves: &["pan de masa madre", "pan de centeno", "focaccia"],
    kids: &["Martina", "Hugo", "Lola", "Mateo", "Vera", "Leo"],
    items: &["paraguas", "gorro", "cargador del móvil", "libro", "abrigo"],
    money: ("", " libras"),
};
