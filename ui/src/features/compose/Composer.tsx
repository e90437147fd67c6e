/** The reply box: knows the reply window before you type, sends with Enter. */
import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import type { ConversationSummary } from "../../ipc/bindings";
import { Icon } from "../../ui/Icon";
import { replyWindow } from "../thread/replyWindow";
import { lengthLeft, useSendText } from "./api";

export function Composer({ conversation, now, demo }: { conversation: ConversationSummary; now: number; demo: boolean }) {
  const [text, setText] = useState("");
  const send = useSendText();
  const box = useRef<HTMLTextAreaElement>(null);
  const window = replyWindow(conversation.platform, conversation.lastInboundAt, now);
  const closed = window.status === "closed" || window.status === "waiting";
  const left = lengthLeft(conversation.platform, text);

  // A different conversation starts with an empty box and no old error.
  useEffect(() => {
    setText("");
    send.reset();
  }, [conversation.id]); // eslint-disable-line react-hooks/exhaustive-deps

  const submit = () => {
    const body = text.trim();
    if (!body || left < 0 || send.isPending || closed || demo) return;
    send.mutate({ conversationId: conversation.id, text: body, replyTo: null }, { onSuccess: () => setText("") });
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === "Escape") {
      box.current?.blur();
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
          More than 24 hours since the customer wrote: this is sent as a personal reply from your team (human agent), allowed until {window.label.replace(/^.*—\s*/, "")}.
        </p>
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
      {send.isError ? (
        <div className="form__error" role="alert" data-testid="composer-error">
          <Icon name="alert" size={15} />
          <div>
            <p>{send.error.message}</p>
            {send.error.action ? <p className="form__error-action">{send.error.action}</p> : null}
          </div>
        </div>
      ) : null}
    </footer>
  );
}
