/* Default rate by grade (bars, %) with the number of households per grade (bars on a second axis)
   of the model validation report (ECharts). The same numbers are in the table below the chart. */
(function () {
  "use strict";
  function draw() {
    var el = document.getElementById("grade-chart");
    var source = document.getElementById("grade-data");
    if (!el || !source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      textStyle: { fontFamily: 'system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif' },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.labels },
      yAxis: [
        { type: "value", name: "%", min: 0, axisLabel: { formatter: "{value}" } },
        { type: "value", minInterval: 1, splitLine: { show: false } }
      ],
      series: [
        { name: el.getAttribute("data-series-rate"), type: "bar", data: data.rates, itemStyle: { color: "#c8102e" },
          label: { show: true, position: "top", formatter: "{c}%" } },
        { name: el.getAttribute("data-series-subjects"), type: "bar", yAxisIndex: 1, data: data.subjects, itemStyle: { color: "#9aa3b2" } },
        { name: el.getAttribute("data-series-defaults"), type: "bar", yAxisIndex: 1, data: data.defaults, itemStyle: { color: "#5b6474" } }
      ]
    });
    el.setAttribute("data-chart-ready", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
