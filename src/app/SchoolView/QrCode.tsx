/** A QR code drawn as SVG rectangles (uqr encodes; nothing is injected as markup). */
import type { JSX } from 'preact';
import { useMemo } from 'preact/hooks';
import { encode } from 'uqr';

export function QrCode(props: { text: string; label: string; size?: number }): JSX.Element {
  const { data } = useMemo(() => encode(props.text, { ecc: 'M', border: 2 }), [props.text]);
  const n = data.length;
  const path = useMemo(() => {
    let d = '';
    data.forEach((row, y) => {
      row.forEach((dark, x) => {
        if (dark) d += `M${x} ${y}h1v1h-1z`;
      });
    });
    return d;
  }, [data]);
  return (
    <svg
      role="img"
      aria-label={props.label}
      viewBox={`0 0 ${n} ${n}`}
      width={props.size ?? 120}
      height={props.size ?? 120}
      shape-rendering="crispEdges"
    >
      <rect width={n} height={n} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
