import { tokens } from "@fluentui/react-components";

export interface ChartPoint {
  label: string;
  value: number;
}

/** Days from `from` to `to` (YYYY-MM-DD, both included). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (
    let t = Date.parse(`${from}T00:00:00Z`);
    t <= Date.parse(`${to}T00:00:00Z`) && days.length < 400;
    t += 86_400_000
  )
    days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/**
 * A small bar chart in plain SVG. It is one image to assistive technology, described by
 * `description`; the numbers themselves are also in a table next to it.
 */
export function BarChart(props: {
  points: ChartPoint[];
  description: string;
  format(value: number): string;
}) {
  const { points } = props;
  const width = 300;
  const height = 120;
  const top = 14;
  const bottom = 16;
  const max = Math.max(...points.map((p) => p.value), 0);
  const slot = points.length > 0 ? width / points.length : width;
  const barWidth = Math.max(1, slot * 0.7);
  const scale = max > 0 ? (height - top - bottom) / max : 0;
  return (
    <svg
      viewBox={`0 0 ${width} ${height}`}
      width="100%"
      role="img"
      aria-label={props.description}
      data-testid="usage-chart"
      style={{ display: "block", maxHeight: 180 }}
    >
      <line
        x1={0}
        x2={width}
        y1={height - bottom}
        y2={height - bottom}
        style={{ stroke: tokens.colorNeutralStroke1, strokeWidth: 1 }}
      />
      {points.map((point, index) => {
        const barHeight = point.value * scale;
        return (
          <rect
            key={point.label}
            x={index * slot + (slot - barWidth) / 2}
            y={height - bottom - barHeight}
            width={barWidth}
            height={barHeight}
            rx={1}
            style={{ fill: tokens.colorBrandBackground }}
          >
            <title>
              {point.label}: {props.format(point.value)}
            </title>
          </rect>
        );
      })}
      <text x={0} y={10} style={{ fill: tokens.colorNeutralForeground3, fontSize: 9 }}>
        max {props.format(max)}
      </text>
      {points.length > 0 ? (
        <>
          <text x={0} y={height - 4} style={{ fill: tokens.colorNeutralForeground3, fontSize: 9 }}>
            {points[0]!.label}
          </text>
          <text
            x={width}
            y={height - 4}
            textAnchor="end"
            style={{ fill: tokens.colorNeutralForeground3, fontSize: 9 }}
          >
            {points.at(-1)!.label}
          </text>
        </>
      ) : null}
    </svg>
  );
}
