//! The French phrasebook (vous), same topics and shape as the English one.

use super::*;

pub(super) const FR_THANKS: &[&str] = &[
    "Super, merci !",
    "Parfait, merci beaucoup !",
    "Merci mille fois !",
    "Génial, merci beaucoup !",
    "Merci, c'est très gentil !",
    "Top, merci !",
];

pub(super) const FR_TOPICS: &[Topic] = &[
    Topic {
        name: "gâteau d'anniversaire",
        only: None,
        beats: &[
            &[&[c(&[
                "Vous faites des gâteaux d'anniversaire sur commande ? {kid} fête ses {age} ans {day}.",
                "Je voudrais commander un gâteau d'anniversaire pour {day}, c'est possible ?",
                "Est-ce qu'il vous reste de la place pour un gâteau d'anniversaire {day} ?",
            ])]],
            &[&[b(&[
                "Avec plaisir ! Nos gâteaux de fête de 15 cm commencent à {price} et font environ 12 parts. Vous avez un parfum en tête ?",
                "Oui, nous avons encore de la place {day}. Un 15 cm coûte {price}, pour 12 personnes environ. Quel parfum vous ferait plaisir ?",
                "Bien sûr ! Pour {day}, nous pouvons faire un 15 cm à partir de {price}. Quel parfum préférez-vous ?",
            ])]],
            &[&[c(&[
                "{Flavour}, s'il vous plaît ! Vous pourriez écrire « Joyeux anniversaire {kid} » dessus ?",
                "Plutôt {flavour}. Et est-ce possible de mettre « Joyeux anniversaire {kid} » ?",
                "{Flavour}, ce serait parfait. Avec le prénom de {kid} en bleu, si possible ?",
            ])]],
            &[&[b(&[
                "C'est noté : un gâteau {flavour} de 15 cm, « Joyeux anniversaire {kid} », à retirer {day} à partir de {time}. Ça vous convient ?",
                "Parfait, c'est la commande {order} : gâteau {flavour}, le prénom de {kid} dessus, retrait {day} dès {time}.",
                "C'est réservé sous la commande {order} : gâteau {flavour} pour {day}. Je vous envoie un lien pour l'acompte de 10 £.",
            ])]],
            &[&[c(FR_THANKS).react()]],
            &[
                &[
                    b_photo(&[
                        "Le gâteau de {kid} est prêt et bien emballé ! 🎂",
                        "Petit aperçu du gâteau de {kid}, il vous attend",
                        "Tout juste décoré pour le grand jour de {kid} !",
                    ])
                    .later()
                    .react(),
                    c(&[
                        "Oh, il est magnifique ! {kid} va adorer",
                        "Superbe, merci ! J'arrive.",
                        "Trop beau 😍 à tout à l'heure",
                    ]),
                ],
                &[],
            ],
        ],
    },
    Topic {
        name: "horaires",
        only: None,
        beats: &[
            &[
                &[
                    c(&["Vous êtes ouverts ce dimanche ?", "Quels sont vos horaires le dimanche ?"]),
                    b(&[
                        "Le dimanche, nous sommes ouverts de 9h à 15h !",
                        "De 9h à 15h le dimanche. Les {bake} partent vite, venez tôt !",
                    ]),
                ],
                &[
                    c(&["Vous ouvrez à quelle heure {day} ?", "Vous fermez à quelle heure {day} ?"]),
                    b(&[
                        "Du mardi au vendredi de 7h30 à 16h, le samedi de 8h à 16h et le dimanche de 9h à 15h. Nous sommes fermés le lundi.",
                        "Nos horaires : mardi–vendredi 7h30–16h, samedi 8h–16h, dimanche 9h–15h. Fermé le lundi !",
                    ]),
                ],
            ],
            &[
                &[
                    c(&["Les chiens sont acceptés ?", "Je peux venir avec mon chien ?"]),
                    b(&[
                        "Bien sûr, les chiens sont les bienvenus ! Il y a une gamelle d'eau à l'entrée 🐶",
                        "Oui, avec plaisir ! Nous avons même des biscuits pour chiens à la caisse.",
                    ]),
                ],
                &[
                    c(&["Il y a de la place pour s'asseoir ?", "Est-ce qu'on peut manger sur place ?"]),
                    b(&[
                        "Oui, une vingtaine de places à l'intérieur et trois tables en terrasse.",
                        "Oui, il y a une vingtaine de places. Le week-end, c'est plein vers 11h.",
                    ]),
                ],
                &[],
            ],
            &[&[c(FR_THANKS).react()], &[c(&["À {day} alors !", "Parfait, nous passerons {day} !"])]],
        ],
    },
    Topic {
        name: "sans gluten",
        only: None,
        beats: &[
            &[
                &[
                    c(&[
                        "Vous avez des choses sans gluten ?",
                        "Mon mari est cœliaque, est-ce qu'il y a quelque chose pour lui ?",
                    ]),
                    b(&[
                        "Nous avons toujours des brownies et un gâteau orange-amande sans gluten. Mais la farine de blé est partout dans notre fournil, donc attention en cas de maladie cœliaque.",
                        "Les brownies et le gâteau orange-amande sont sans gluten, mais ils sont préparés dans la même cuisine : nous ne pouvons pas garantir l'absence de traces.",
                    ]),
                ],
                &[
                    c(&["Vous avez des options véganes ?", "Est-ce que certaines de vos pâtisseries sont véganes ?"]),
                    b(&[
                        "Les roulés à la cannelle du week-end sont véganes, et la focaccia aussi. Le lait d'avoine est sans supplément.",
                        "Oui ! La focaccia est végane tous les jours, et le week-end il y a des roulés à la cannelle véganes.",
                    ]),
                ],
            ],
            &[
                &[c(&["Merci pour votre honnêteté.", "Très bien, merci pour l'info !"])],
                &[
                    c(&["Vous pourriez m'en mettre un de côté pour {day} ?"]),
                    b(&[
                        "Bien sûr, je vous le mets de côté au nom de {name} pour {day}.",
                        "C'est fait ! Il vous attendra derrière le comptoir {day}.",
                    ]),
                    c(FR_THANKS).react(),
                ],
            ],
        ],
    },
    Topic {
        name: "réservation",
        only: None,
        beats: &[
            &[&[c(&[
                "Est-ce que je peux réserver une table pour {n} {day} à {time} ?",
                "Vous prenez les réservations ? Nous serions {n} {day} vers {time}.",
                "Nous pourrions réserver une table pour {n} pour un brunch {day}, vers {time} ?",
            ])
            .edit()]],
            &[&[b(&[
                "C'est réservé ! Une table pour {n} {day} à {time}, au nom de {name}.",
                "C'est noté : {n} personnes, {day} à {time}. Nous vous gardons la grande table près de la fenêtre.",
                "Parfait, table pour {n} {day} à {time}. Nous gardons la table 15 minutes, prévenez-nous en cas de retard.",
            ])]],
            &[
                &[
                    c(&["Vous avez une chaise haute ? Nous venons avec un bébé."]),
                    b(&[
                        "Oui, nous en avons deux. J'en mets une à votre table.",
                        "Bien sûr, elle vous attendra à la table {day} !",
                    ]),
                ],
                &[],
            ],
            &[&[c(FR_THANKS).react()], &[c(&["À {day} !", "Parfait, à {day} alors !"])]],
        ],
    },
    Topic {
        name: "commande",
        only: None,
        beats: &[
            &[&[c(&[
                "Je pourrais commander {count} {bake} pour {day} ?",
                "Est-ce possible de réserver {count} {bake} pour {day} ? Nous recevons de la famille.",
                "Je voudrais commander {count} {bake} à retirer {day} vers {time}.",
            ])
            .edit()]],
            &[&[b(&[
                "Pas de souci ! {count} {bake} pour {day}, à retirer dès {time}. C'est la commande {order}.",
                "Bien sûr. Je vous mets {count} {bake} de côté pour {day}, commande {order} ; vous réglerez sur place.",
                "Oui ! Commande {order} : {count} {bake}, à retirer {day} dès {time}.",
            ])]],
            &[&[c(FR_THANKS).react()]],
            &[
                &[
                    b(&[
                        "Bonjour {name} ! Votre commande {order} vous attend au comptoir.",
                        "Bonjour {name}, votre commande est emballée et vous attend.",
                        "Votre commande est prête, {name} ! Elle est derrière la caisse.",
                    ])
                    .later(),
                    c(&["Merci, j'arrive dans 20 minutes !", "J'arrive !", "Super, à tout de suite."]),
                ],
                &[],
            ],
        ],
    },
];

pub(super) const FRENCH: Phrasebook = Phrasebook {
    topics: FR_TOPICS,
    customer_hello: &["", "Bonjour ! ", "Bonjour à toute l'équipe ! "],
    business_hello: &["Bonjour {name} ! ", "Bonjour {name}, merci pour votre message ! ", ""],
    templates: &[
        "Bonjour {name}, ici Little Crumb Bakehouse au sujet de votre commande {order}. Répondez à ce message et nous vous donnerons les détails.",
        "Bonjour {name} ! Little Crumb Bakehouse a des nouvelles de votre commande {order}. Merci de répondre à ce message pour continuer la conversation.",
    ],
    template_replies: &["Bonjour ! Oui ?", "Bonjour, tout va bien ?", "Oui, je vous écoute !"],
    days: ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
    times: &["9h30", "10h", "10h30", "11h", "11h30", "midi", "13h", "14h"],
    flavours: &[
        "au citron",
        "au chocolat noir",
        "framboise-pistache",
        "au caramel beurre salé",
        "carottes-noix",
        "au café",
    ],
    bakes: &[
        "brioches à la cardamome",
        "croissants aux amandes",
        "roulés à la cannelle",
        "pains au chocolat",
        "brownies",
        "flans pâtissiers",
    ],
    loaves: &["pain au levain", "pain de seigle", "focaccia"],
    kids: &["Léa", "Gabriel", "Jade", "Louis", "Manon", "Jules"],
    items: &["parapluie", "bonnet", "carnet", "chargeur", "foulard"],
    money: ("", " £"),
};
