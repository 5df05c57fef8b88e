import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  label: string;
  /** A CSS colour. */
  stroke: string;
  values: Array<number | null>;
}

const hourMinuteFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

/** An x-axis tick (epoch seconds) as the time of day. */
function hourMinute(seconds: number): string {
  return hourMinuteFormat.format(seconds * 1000);
}

/** Reads a CSS custom property of the page (the charts follow the light / dark palette). */
export function cssColour(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value === "" ? fallback : value;
}

/**
 * A small time-series chart (uPlot, bundled): the series over the timestamps `t` (epoch ms),
 * redrawn in place when the data change and resized with its box. Gaps (null) stay gaps.
 */
export function TimeChart({
  title,
  t,
  series,
  height = 110,
  unit = "",
}: {
  title: string;
  t: number[];
  series: ChartSeries[];
  height?: number;
  unit?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = series.map((s) => `${s.label}:${s.stroke}`).join("|");
  const data: uPlot.AlignedData = [t.map((ms) => ms / 1000), ...series.map((s) => s.values)];

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const muted = cssColour("--muted", "#5b6470");
    const grid = cssColour("--border", "#d9dee5");
    const axis = { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
    const chart = new uPlot(
      {
        width: Math.max(120, el.clientWidth),
        height,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: { time: true },
          y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] },
        },
        axes: [
          { ...axis, size: 28, space: 70, values: (_u, ticks) => ticks.map(hourMinute) },
          {
            ...axis,
            size: 44,
            values: (_u, ticks) => ticks.map((v) => `${+v.toPrecision(3)}${unit}`),
          },
        ],
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: s.stroke,
            width: 1.5,
            points: { show: false },
            spanGaps: false,
          })),
        ],
      },
      data,
      el,
    );
    plot.current = chart;
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(120, el.clientWidth), height }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // The chart is rebuilt only when its series change; new samples go through setData below.
  }, [shape, height, unit]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  return (
    <figure class="chart" data-chart={title} data-samples={t.length}>
      <figcaption>
        {title}
        {series.length > 1
          ? series.map((s) => (
              <span key={s.label} class="chart-key" data-series={s.label}>
                <span class="chart-swatch" style={{ background: s.stroke }} aria-hidden="true" />
                {s.label}
              </span>
            ))
          : null}
      </figcaption>
      <div ref={box} class="chart-plot" />
    </figure>
  );
}
