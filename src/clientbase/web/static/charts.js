// Draws the dashboard charts from the JSON the page embeds (no inline scripts: CSP 'self').
document.addEventListener("DOMContentLoaded", () => {
  const node = document.getElementById("chart-data");
  if (!node || typeof Chart === "undefined") return;
  const data = JSON.parse(node.textContent);
  // Dataset names in the page's language (the dashboard route sends them).
  const names = data.names || {};
  const regions = document.getElementById("chart-regions");
  if (regions) {
    new Chart(regions, {
      type: "bar",
      data: {
        labels: data.regions,
        datasets: [
          { label: names.potential || "Потенциал, ₽", data: data.potential, yAxisID: "y", backgroundColor: "#2557a7" },
          { label: names.dormant || "Спящих клиентов", data: data.dormant, yAxisID: "y1", backgroundColor: "#e0a030" },
        ],
      },
      options: {
        animation: false,
        scales: { y: { position: "left" }, y1: { position: "right", grid: { drawOnChartArea: false } } },
      },
    });
  }
  const load = document.getElementById("chart-load");
  if (load) {
    new Chart(load, {
      type: "bar",
      data: { labels: data.managers, datasets: [{ label: names.clients || "Клиентов", data: data.load, backgroundColor: "#1f3b63" }] },
      options: { animation: false, indexAxis: "y" },
    });
  }
});

// Any page may embed chart specs as JSON: <script type="application/json" class="chart-spec"
// data-canvas="ID">{"type": "bar", "labels": [...], "datasets": [...], "options": {...}}</script>
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Chart === "undefined") return;
  const palette = ["#2557a7", "#e0a030", "#1e6b2e", "#9b1c1c", "#6b4fa0", "#1f3b63"];
  document.querySelectorAll("script.chart-spec").forEach((node) => {
    const canvas = document.getElementById(node.dataset.canvas);
    if (!canvas) return;
    const spec = JSON.parse(node.textContent);
    spec.datasets.forEach((d, i) => {
      if (!d.backgroundColor) d.backgroundColor = palette[i % palette.length];
      if (!d.borderColor) d.borderColor = d.backgroundColor;
    });
    new Chart(canvas, {
      type: spec.type || "bar",
      data: { labels: spec.labels, datasets: spec.datasets },
      options: Object.assign({ animation: false }, spec.options || {}),
    });
  });
});
