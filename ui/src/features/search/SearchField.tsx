import "./search.css";
import { forwardRef } from "react";
import { MOD_KEY } from "../../lib/keys";
import { Icon } from "../../ui/Icon";
import { Kbd, Spinner } from "../../ui/states";

type Props = {
  value: string;
  onChange: (v: string) => void;
  onMove: (delta: number) => void;
  onEnter: () => void;
  busy: boolean;
};

/** The search box atop the list. Arrows walk the results; Escape clears and leaves. */
export const SearchField = forwardRef<HTMLInputElement, Props>(function SearchField({ value, onChange, onMove, onEnter, busy }, ref) {
  return (
    <label className="search">
      <Icon name="search" size={15} className="search__icon" />
      <input
        ref={ref}
        type="search"
        className="search__input"
        placeholder="Search people and messages"
        value={value}
        spellCheck={false}
        autoComplete="off"
        data-testid="search-input"
        aria-label="Search people and messages"
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.preventDefault();
            onChange("");
            e.currentTarget.blur();
          } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
            e.preventDefault();
            onMove(e.key === "ArrowDown" ? 1 : -1);
          } else if (e.key === "Enter") {
            e.preventDefault();
            onEnter();
          }
        }}
      />
      {busy ? (
        <Spinner size={12} />
      ) : value ? (
        <button type="button" className="icon-btn search__clear" aria-label="Clear search" onClick={() => onChange("")}>
          <Icon name="x" size={13} />
        </button>
      ) : (
        <span className="search__hint" aria-hidden="true">
          <Kbd>{MOD_KEY}</Kbd>
          <Kbd>K</Kbd>
        </span>
      )}
    </label>
  );
});
