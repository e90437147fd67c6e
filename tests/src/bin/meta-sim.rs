//! meta-sim: the simulated Graph API, OAuth endpoints and login dialogs of
//! `cahts_tests::meta_sim::graph`, as a standalone server for manual runs of the desktop
//! and the relay against a fake Meta.
//!
//! Seeds a small demo world — a user with a long-lived token, a Page with Messenger
//! conversations and a linked Instagram account with conversations, a WhatsApp Business
//! Account with one number, two approved templates and a customer whose 24 h window is
//! open — then prints
//!
//! ```text
//! meta-sim listening on http://127.0.0.1:PORT
//! {"base_url":…,"app":{…},"user":{…},"page":{…},"instagram":{…},…}
//! ```
//!
//! (the second line is one JSON object with every seeded id and token) and serves until
//! Ctrl-C. Point every Meta base URL (`graph.facebook.com`, `graph.instagram.com`,
//! `api.instagram.com`, the login dialog) at the printed address.

use std::net::SocketAddr;

use cahts_tests::meta_sim::graph::{
    AppInfo, ConversationInfo, DEFAULT_SEED, InstagramInfo, MediaInfo, MetaSim, PageInfo, PhoneNumberInfo, Platform,
    Template, TokenLife, UserInfo, WabaInfo, World,
};
use clap::Parser;
use serde_json::{Value, json};

#[derive(Parser)]
#[command(about = "A local stand-in for Meta's Graph API, OAuth and login dialogs")]
struct Args {
    /// Port to listen on (127.0.0.1); 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Seed for ids, tokens and generated messages.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let sim = MetaSim::start_on(SocketAddr::from(([127, 0, 0, 1], args.port)), args.seed).await?;
    let world = sim.world();
    let facebook = seed_facebook(&world);
    let whatsapp = seed_whatsapp(&world)?;
    let seeded = seeded_json(&sim.base_url(), &world.app(), &facebook, &whatsapp);
    println!("meta-sim listening on {}", sim.base_url());
    println!("{seeded}");

    tokio::signal::ctrl_c().await?;
    sim.stop().await;
    Ok(())
}

/// The Facebook side of the demo world: a user, their Page with Messenger conversations,
/// and the Page's Instagram account with its own.
struct Facebook {
    user: UserInfo,
    user_token: String,
    page: PageInfo,
    messenger: Vec<ConversationInfo>,
    instagram: InstagramInfo,
    instagram_token: String,
    ig: Vec<ConversationInfo>,
}

/// The WhatsApp side: a WABA with one number, its templates, a customer whose 24 h window
/// is open, and a photo they sent.
struct WhatsApp {
    waba: WabaInfo,
    phone: PhoneNumberInfo,
    templates: [Template; 2],
    customer: &'static str,
    customer_last_wamid: String,
    photo: MediaInfo,
}

fn seed_facebook(world: &World) -> Facebook {
    let user = world.add_user("Alex Martin");
    let user_token = world.issue_user_token(
        &user.id,
        TokenLife::LongLived,
        &[
            "pages_show_list",
            "pages_messaging",
            "pages_manage_metadata",
            "pages_read_engagement",
            "instagram_basic",
            "instagram_manage_messages",
            "business_management",
        ],
    );
    let page = world.add_page_for(&user.id, "Boulangerie Zoë");
    let instagram = world.add_instagram(&page.id, "boulangerie.zoe", "Boulangerie Zoë");
    let messenger: Vec<_> = [("Zoë Lefèvre", 8), ("Jürgen Müller", 3), ("Carmen Ruiz", 26)]
        .into_iter()
        .map(|(name, n)| world.add_conversation(&page.id, Platform::Messenger, name, n))
        .collect();
    let ig: Vec<_> = [("lina.k", 5), ("tomasz_w", 30)]
        .into_iter()
        .map(|(name, n)| world.add_conversation(&page.id, Platform::Instagram, name, n))
        .collect();
    let instagram_token = world.issue_instagram_token(&instagram.id, TokenLife::LongLived);
    Facebook { user, user_token, page, messenger, instagram, instagram_token, ig }
}

fn seed_whatsapp(world: &World) -> anyhow::Result<WhatsApp> {
    let waba = world.add_waba("Boulangerie Zoë");
    let phone = world.add_phone_number(&waba.id, "15550783881", "Boulangerie Zoë");
    let templates = [
        Template::approved("order_update", "en_US", "Hi {{1}}, your order {{2}} is on its way."),
        Template::approved("hello_world", "en_US", "Hello! Thanks for contacting Boulangerie Zoë."),
    ];
    for t in &templates {
        world.add_template(&waba.id, t.clone());
    }
    let customer = "4915112345678";
    let customer_last_wamid = world.wa_customer_writes(&phone.id, customer, "Zoë Lefèvre");
    // A photo a customer sent, downloadable by its media id (for webhooks that carry it).
    let photo = world.add_media(sample_photo()?, "image/png");
    Ok(WhatsApp { waba, phone, templates, customer, customer_last_wamid, photo })
}

/// The second line printed: every seeded id and token, as one JSON object.
fn seeded_json(base_url: &str, app: &AppInfo, facebook: &Facebook, whatsapp: &WhatsApp) -> Value {
    let Facebook { user, user_token, page, messenger, instagram, instagram_token, ig } = facebook;
    let WhatsApp { waba, phone, templates, customer, customer_last_wamid, photo } = whatsapp;
    json!({
        "base_url": base_url,
        "app": {
            "app_id": app.app_id,
            "app_secret": app.app_secret,
            "app_token": app.app_token(),
            "instagram_app_id": app.instagram_app_id,
            "instagram_app_secret": app.instagram_app_secret,
        },
        "user": { "id": user.id, "name": user.name, "access_token": user_token },
        "page": {
            "id": page.id,
            "name": page.name,
            "access_token": page.access_token,
            "messenger_conversations": conversations_json(messenger),
        },
        "instagram": {
            "id": instagram.id,
            "username": instagram.username,
            "access_token": instagram_token,
            "conversations": conversations_json(ig),
        },
        "whatsapp": {
            "waba_id": waba.id,
            "system_user_token": waba.system_user_token,
            "phone_number_id": phone.id,
            "display_phone_number": phone.display_phone_number,
            "templates": templates.iter().map(|t| json!({ "name": t.name, "language": t.language })).collect::<Vec<_>>(),
            "customer_wa_id": customer,
            "customer_last_wamid": customer_last_wamid,
            "photo": { "media_id": photo.id, "sha256": photo.sha256, "mime_type": photo.mime_type },
        },
    })
}

fn conversations_json(list: &[ConversationInfo]) -> Vec<Value> {
    list.iter()
        .map(|c| {
            json!({
                "id": c.id,
                "participant_id": c.participant_id,
                "participant": c.participant_name,
                "messages": c.message_ids.len(),
            })
        })
        .collect()
}

/// A 640×400 gradient, as a PNG.
fn sample_photo() -> anyhow::Result<Vec<u8>> {
    let image =
        image::RgbImage::from_fn(640, 400, |x, y| image::Rgb([(x * 255 / 640) as u8, (y * 255 / 400) as u8, 180]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png)?;
    Ok(bytes.into_inner())
}
