// Draws the dashboard charts from the JSON the page embeds (no inline scripts: CSP 'self').
document.addEventListener("DOMContentLoaded", () => {
  const node = document.getElementById("chart-data");
  if (!node || typeof Chart === "undefined") return;
  const data = JSON.parse(node.textContent);
  const regions = document.getElementById("chart-regions");
  if (regions) {
    new Chart(regions, {
      type: "bar",
      data: {
        labels: data.regions,
        datasets: [
          { label: "Потенциал, ₽", data: data.potential, yAxisID: "y", backgroundColor: "#2557a7" },
          { label: "Спящих клиентов", data: data.dormant, yAxisID: "y1", backgroundColor: "#e0a030" },
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
      data: { labels: data.managers, datasets: [{ label: "Клиентов", data: data.load, backgroundColor: "#1f3b63" }] },
      options: { animation: false, indexAxis: "y" },
    });
  }
});
