/**
 * The reply box: knows the reply window before you type, sends with Enter, attaches a file
 * (the text becomes its caption). After WhatsApp's 24 hours it offers approved templates.
 */
import "../../ui/forms.css";
import "./compose.css";
import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import type { ConversationSummary, ThreadMessage } from "../../ipc/bindings";
import { pickFile } from "../../ipc/transport";
import { FormError } from "../../ui/FormError";
import { Icon } from "../../ui/Icon";
import { allowsFreeForm, describeReplyWindow } from "../thread/replyWindow";
import { lengthLeft, renderTemplate, useSendMedia, useSendTemplate, useSendText, useTemplates } from "./api";

/** WhatsApp after 24 hours: pick an approved template, fill its values, see what goes. */
function TemplateComposer({ conversation }: { conversation: ConversationSummary }) {
  const templates = useTemplates(conversation.id, true);
  const send = useSendTemplate();
  const [chosen, setChosen] = useState(0);
  const [values, setValues] = useState<string[]>([]);
  const list = templates.data ?? [];
  const template = list[chosen];
  const filled = template ? Array.from({ length: template.parameters }, (_, i) => values[i] ?? "") : [];
  const ready = template !== undefined && filled.every((v) => v.trim() !== "");
  return (
    <footer className="composer" data-testid="template-composer">
      <p className="composer__note">
        <Icon name="clock" size={13} /> The customer has not written in 24 hours: WhatsApp allows only an approved template now.
      </p>
      {templates.isPending ? <p className="composer__hint">Loading this number's templates…</p> : null}
      <FormError error={templates.error} testId="template-error" />
      {templates.isSuccess && list.length === 0 ? (
        <p className="composer__hint">This number has no approved template. Create one in WhatsApp Manager; Meta reviews it before it can be sent.</p>
      ) : null}
      {template ? (
        <>
          <div className="composer__row">
            <select
              className="input composer__template"
              data-testid="template-select"
              aria-label="Template"
              value={chosen}
              onChange={(e) => {
                setChosen(Number(e.target.value));
                setValues([]);
              }}
            >
              {list.map((t, i) => (
                <option key={`${t.name}/${t.language}`} value={i}>
                  {t.name} · {t.language}
                </option>
              ))}
            </select>
            {filled.map((v, i) => (
              <input
                key={i}
                className="input composer__value"
                data-testid="template-value"
                aria-label={`Value ${i + 1}`}
                placeholder={`{{${i + 1}}}`}
                value={v}
                onChange={(e) => {
                  const next = [...filled];
                  next[i] = e.target.value;
                  setValues(next);
                }}
              />
            ))}
            <button
              type="button"
              className="btn btn--primary composer__send"
              data-testid="template-send"
              disabled={!ready || send.isPending}
              onClick={() =>
                send.mutate(
                  { conversationId: conversation.id, name: template.name, language: template.language, parameters: filled.map((v) => v.trim()) },
                  { onSuccess: () => setValues([]) },
                )
              }
            >
              <Icon name="forward" size={15} />
              Send template
            </button>
          </div>
          <p className="composer__preview" data-testid="template-preview">
            {renderTemplate(template.body, filled)}
          </p>
        </>
      ) : null}
      <FormError error={send.error} testId="composer-error" />
    </footer>
  );
}

type ComposerProps = {
  conversation: ConversationSummary;
  now: number;
  demo: boolean;
  /** The message this reply answers, if the owner chose one. */
  replyTo?: ThreadMessage | null;
  replyToName?: string;
  onClearReply?: () => void;
};

export function Composer({ conversation, now, demo, replyTo = null, replyToName = "", onClearReply }: ComposerProps) {
  // The thread pane around it is keyed by conversation: a different one starts with an
  // empty box and no old error.
  const [text, setText] = useState("");
  const send = useSendText();
  const sendMedia = useSendMedia();
  const box = useRef<HTMLTextAreaElement>(null);
  const window = describeReplyWindow(conversation.replyWindow, now);
  const closed = !allowsFreeForm(conversation.replyWindow);
  const left = lengthLeft(conversation.platform, text);

  const submit = () => {
    const body = text.trim();
    if (!body || left < 0 || send.isPending || closed || demo) return;
    send.mutate(
      { conversationId: conversation.id, text: body, replyTo: replyTo?.mid ?? null },
      {
        onSuccess: () => {
          setText("");
          onClearReply?.();
        },
      },
    );
  };
  useEffect(() => {
    if (replyTo) box.current?.focus();
  }, [replyTo]);

  const attach = async () => {
    if (sendMedia.isPending || closed || demo) return;
    const picked = await pickFile("Send a photo, video or file");
    if (picked === null) return;
    const caption = text.trim() || null;
    sendMedia.mutate(
      { conversationId: conversation.id, path: picked, caption, replyTo: replyTo?.mid ?? null },
      {
        onSuccess: () => {
          setText("");
          onClearReply?.();
        },
      },
    );
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === "Escape") {
      if (replyTo) onClearReply?.();
      else box.current?.blur();
    }
  };

  if (demo) {
    return (
      <footer className="composer composer--closed" data-testid="composer-closed">
        <Icon name="info" size={15} />
        <p>Demo conversations are examples: replies are switched off.</p>
      </footer>
    );
  }
  if (conversation.replyWindow.state === "templateOnly") {
    return <TemplateComposer conversation={conversation} />;
  }
  if (closed) {
    return (
      <footer className="composer composer--closed" data-testid="composer-closed">
        <Icon name="clock" size={15} />
        <p>{window.detail}</p>
      </footer>
    );
  }
  return (
    <footer className="composer" data-testid="composer">
      {window.status === "human_agent" ? (
        <p className="composer__note" data-testid="composer-note">
          More than 24 hours since the customer wrote: this is sent as a personal reply from your team (human agent), allowed until{" "}
          {window.label.replace(/^.*—\s*/, "")}.
        </p>
      ) : null}
      {replyTo ? (
        <div className="composer__replying" data-testid="composer-replying">
          <Icon name="quote" size={13} />
          <span className="composer__replying-text">
            Replying to {replyToName}: {replyTo.deleted ? "an unsent message" : (replyTo.text ?? "an attachment")}
          </span>
          <button type="button" className="icon-btn" aria-label="Do not reply to this message" onClick={() => onClearReply?.()}>
            <Icon name="x" size={13} />
          </button>
        </div>
      ) : null}
      <div className="composer__row">
        <textarea
          ref={box}
          className="composer__input"
          data-testid="composer-input"
          rows={Math.min(6, Math.max(1, text.split("\n").length))}
          placeholder="Write a reply…  Enter to send, Shift+Enter for a new line"
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKey}
          aria-label="Reply"
        />
        <button
          type="button"
          className="icon-btn composer__attach"
          data-testid="composer-attach"
          aria-label="Attach a photo, video or file"
          title={text.trim() ? "Send a file with this text as its caption" : "Send a photo, video or file"}
          disabled={sendMedia.isPending}
          onClick={() => void attach()}
        >
          <Icon name="paperclip" size={17} />
        </button>
        <button
          type="button"
          className="btn btn--primary composer__send"
          data-testid="composer-send"
          disabled={!text.trim() || left < 0 || send.isPending}
          onClick={submit}
        >
          <Icon name="forward" size={15} />
          Send
        </button>
      </div>
      {left < 100 ? (
        <p className={left < 0 ? "composer__count composer__count--over" : "composer__count"}>{left < 0 ? `${-left} over the limit` : `${left} left`}</p>
      ) : null}
      {sendMedia.isPending ? <p className="composer__hint">Sending the file…</p> : null}
      <FormError error={send.error ?? sendMedia.error} testId="composer-error" />
    </footer>
  );
}
