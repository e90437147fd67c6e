import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { Snippet } from "./Snippet";

describe("Snippet", () => {
  it("wraps highlighted parts in <mark> and keeps the rest as plain text", () => {
    const html = renderToStaticMarkup(
      <Snippet
        parts={[
          { text: "…same-day ", highlight: false },
          { text: "delivery", highlight: true },
          { text: " to Camden", highlight: false },
        ]}
      />,
    );
    expect(html).toBe("…same-day <mark>delivery</mark> to Camden");
  });

  it("renders markup in a customer's words as text, never as HTML", () => {
    const html = renderToStaticMarkup(
      <Snippet
        parts={[
          { text: "<img src=x onerror=alert(1)> ", highlight: false },
          { text: "<b>roses</b>", highlight: true },
        ]}
      />,
    );
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>");
    expect(html).toBe("&lt;img src=x onerror=alert(1)&gt; <mark>&lt;b&gt;roses&lt;/b&gt;</mark>");
  });

  it("renders nothing for an empty snippet", () => {
    expect(renderToStaticMarkup(<Snippet parts={[]} />)).toBe("");
  });
});
