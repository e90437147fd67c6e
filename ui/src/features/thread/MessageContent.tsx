/** The inside of a bubble, by message kind. */
import type { ContactCard, Location, ThreadMessage } from "../../ipc/bindings";
import { Icon } from "../../ui/Icon";
import { AttachmentView, isVisualMedia } from "./Attachments";

function Text({ text }: { text: string | null }) {
  return text ? <p className="bubble__text">{text}</p> : null;
}

function LocationCard({ location, text }: { location: Location | null; text: string | null }) {
  const name = location?.name ?? text ?? "Location";
  return (
    <div className="card location-card">
      <span className="card__icon card__icon--pin">
        <Icon name="pin" size={18} />
      </span>
      <span className="card__text">
        <span className="card__title">{name}</span>
        {location?.address ? <span className="card__sub">{location.address}</span> : null}
        {location ? (
          <span className="card__coords">
            {location.latitude.toFixed(5)}, {location.longitude.toFixed(5)}
          </span>
        ) : null}
      </span>
    </div>
  );
}

function ContactsList({ contacts }: { contacts: ContactCard[] }) {
  if (contacts.length === 0) return <p className="bubble__text bubble__text--muted">Shared a contact</p>;
  return (
    <div className="contacts">
      {contacts.map((c, i) => (
        <div key={`${c.name}-${i}`} className="card">
          <span className="card__icon">
            <Icon name="user" size={18} />
          </span>
          <span className="card__text">
            <span className="card__title">{c.name}</span>
            {c.organization ? <span className="card__sub">{c.organization}</span> : null}
            {c.phones.map((p) => (
              <span key={p} className="card__sub card__phone">
                {p}
              </span>
            ))}
            {c.emails.map((e) => (
              <span key={e} className="card__sub">
                {e}
              </span>
            ))}
          </span>
        </div>
      ))}
    </div>
  );
}

export function MessageContent({ message: m }: { message: ThreadMessage }) {
  if (m.deleted) return <p className="bubble__text bubble__text--deleted">This message was unsent</p>;
  const { extras } = m;
  switch (m.kind) {
    case "location":
      return <LocationCard location={extras.location} text={m.text} />;
    case "contacts":
      return <ContactsList contacts={extras.contacts ?? []} />;
    case "postback":
    case "button":
    case "interactive":
      return (
        <span className="tap-chip">
          <Icon name="tap" size={14} />
          Tapped: {extras.buttonTitle ?? m.text ?? extras.payload ?? "a button"}
        </span>
      );
    case "referral": {
      const r = extras.referral;
      return (
        <>
          <div className="card referral-card">
            <span className="card__icon">
              <Icon name="megaphone" size={18} />
            </span>
            <span className="card__text">
              <span className="card__title">Came from an ad{r?.headline ? `: ${r.headline}` : ""}</span>
              {r?.body ? <span className="card__sub">{r.body}</span> : null}
            </span>
          </div>
          <Text text={m.text} />
        </>
      );
    }
    case "story_mention":
      return (
        <>
          <p className="story-line">
            <Icon name="story" size={14} />
            Mentioned you in their story
          </p>
          {m.attachments
            .filter((a) => a.url)
            .map((a, i) => (
              <AttachmentView key={i} attachment={{ ...a, kind: "image" }} />
            ))}
        </>
      );
    case "unsupported":
      return (
        <p className="bubble__text bubble__text--muted">
          <Icon name="info" size={14} /> {extras.error?.title ?? "This message type isn’t supported here"}
          {extras.error?.code != null ? <span className="code"> ({extras.error.code})</span> : null}
        </p>
      );
    case "template":
      return (
        <>
          <span className="template-label">Template</span>
          <Text text={m.text} />
        </>
      );
    default:
      return (
        <>
          {m.attachments.length > 0 ? (
            <div className={m.attachments.every(isVisualMedia) ? "attachments attachments--media" : "attachments"}>
              {m.attachments.map((a, i) => (
                <AttachmentView key={a.mediaId ?? a.url ?? i} attachment={a} />
              ))}
            </div>
          ) : null}
          <Text text={m.text} />
        </>
      );
  }
}
