import { Fragment } from "react";
import type { SnippetPart } from "../../ipc/bindings";

/**
 * A search snippet: highlighted parts in <mark>, everything as text. Never innerHTML:
 * the snippet is a customer's words and may contain markup.
 */
export function Snippet({ parts }: { parts: SnippetPart[] }) {
  return <>{parts.map((p, i) => (p.highlight ? <mark key={i}>{p.text}</mark> : <Fragment key={i}>{p.text}</Fragment>))}</>;
}
