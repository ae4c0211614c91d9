// Charts drawn as SVG and HTML: a horizontal bar chart and a request's waterfall.
import { h, svg } from "./dom.js";

export function barChart(rows, { label }) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  const rowH = 36;
  const width = 600;
  const labelW = 220;
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${rows.length * rowH + 4}`,
    class: "chart",
    role: "img",
    "aria-label": label,
    width: "100%",
  });
  rows.forEach((r, i) => {
    const y = i * rowH + 2;
    const w = Math.round(((width - labelW - 70) * r.value) / max);
    // Long names are cut to what fits left of the bars; the full name is the row's tooltip.
    const name = r.label.length > 16 ? `${r.label.slice(0, 15)}…` : r.label;
    chart.append(svg("g", {},
      svg("title", {}, `${r.label}: ${r.value}`),
      svg("text", { x: labelW - 8, y: y + 25, "text-anchor": "end" }, name),
      svg("rect", { class: "bar", x: labelW, y: y + 4, width: Math.max(w, 1), height: rowH - 8 }),
      svg("text", { x: labelW + w + 6, y: y + 25 }, String(r.value))));
  });
  return h("figure", { class: "scroll", tabindex: 0, "aria-label": label }, chart);
}

// Each hop a lane: its name indented by depth, a bar from its offset for its duration.
export function waterfall(trace) {
  const total = Math.max(trace.duration_ms, 0.001);
  return h(
    "div",
    { class: "wf", role: "list", "aria-label": "timeline" },
    trace.hops.map((hop) => {
      const left = (100 * hop.offset_ms) / total;
      const width = Math.max((100 * hop.duration_ms) / total, 0.3);
      const failed = hop.status === "ERROR" || hop.http_status >= 500;
      const title = `${hop.service} · ${hop.name} · ${hop.duration_ms.toFixed(2)} ms` +
        (hop.error ? ` · ${hop.error}` : "");
      return h(
        "div",
        { class: "lane", role: "listitem", title },
        h("span", { class: "label" },
          "\u00a0".repeat(hop.depth * 2), `${hop.service}: ${hop.name}`),
        h("span", { class: "track" },
          h("span", {
            class: `bar svc-${hop.service}${failed ? " err" : ""}`,
            "data-left": left.toFixed(2),
            "data-width": width.toFixed(2),
          })),
      );
    }),
  );
}

// Bar positions are set through the CSSOM (the page's CSP allows no inline style attributes).
export function placeBars(root) {
  for (const bar of root.querySelectorAll(".bar[data-left]")) {
    bar.style.left = `${bar.dataset.left}%`;
    bar.style.width = `${bar.dataset.width}%`;
  }
}
