/** The CAHTS mark: three overlapping speech bubbles, one per platform, in the brand colour. */
export function Logo({ size = 24 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" className="logo">
      <rect width="32" height="32" rx="9" fill="var(--brand)" />
      <path d="M9 9.5h10a3 3 0 0 1 3 3v4a3 3 0 0 1-3 3h-5.5L10 22.5v-3H9a3 3 0 0 1-3-3v-4a3 3 0 0 1 3-3z" fill="#fff" />
      <path
        d="M24.5 13.5a2.5 2.5 0 0 1 2 2.4v3.6a2.5 2.5 0 0 1-2.5 2.5h-.5v2.5l-3-2.5h-3.8"
        fill="none"
        stroke="#fff"
        strokeOpacity="0.7"
        strokeWidth="1.6"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}
