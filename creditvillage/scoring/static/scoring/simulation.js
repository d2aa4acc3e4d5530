/* Grade shifts per village of a draft model's simulation: upgrades and downgrades as bars (ECharts).
   The same numbers are in the table below the chart. */
(function () {
  "use strict";
  function draw() {
    var el = document.getElementById("shift-chart");
    var source = document.getElementById("shift-data");
    if (!el || !source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      textStyle: { fontFamily: 'system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif' },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: data.labels.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: el.getAttribute("data-series-up"), type: "bar", data: data.up, itemStyle: { color: "#c8102e" } },
        { name: el.getAttribute("data-series-down"), type: "bar", data: data.down, itemStyle: { color: "#9aa3b2" } }
      ]
    });
    el.setAttribute("data-chart-ready", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
