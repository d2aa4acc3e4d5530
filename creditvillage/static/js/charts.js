/* Charts for the home and region pages, drawn with the vendored Apache ECharts.
   Each <div data-chart="ID"> names a <script type="application/json" id="ID"> written by Django's
   json_script: {"kind": "grades" | "coverage" | "credit", "data": [[label, value(, value2)], ...]}; data-series names the series.
   The same numbers are on the page as text, so a phone that cannot run the chart loses nothing. */
(function () {
  "use strict";
  var FONT = 'system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif';
  var GRADE_COLORS = {
    AAA: "#c8102e", "5A": "#c8102e", AA: "#e8505b", "4A": "#e8505b", A: "#f28b94", "3A": "#f28b94",
    B: "#9aa3b2", "2A": "#9aa3b2", C: "#e0a100", D: "#b86e00", "1A": "#e0a100"
  };

  function grades(spec) {
    return {
      textStyle: { fontFamily: FONT },
      grid: { left: 8, right: 16, top: 24, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "category", data: spec.data.map(function (d) { return d[0]; }), axisTick: { show: false } },
      yAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#eceff3" } } },
      series: [{
        name: spec.series, type: "bar", barMaxWidth: 42,
        label: { show: true, position: "top" },
        data: spec.data.map(function (d) {
          return { value: d[1], itemStyle: { color: GRADE_COLORS[d[0]] || "#9aa3b2", borderRadius: [4, 4, 0, 0] } };
        })
      }]
    };
  }

  function coverage(spec, el) {
    var rows = spec.data.slice().reverse();  // ECharts draws category axes bottom-up
    el.style.height = Math.max(200, rows.length * 30 + 50) + "px";
    return {
      textStyle: { fontFamily: FONT },
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: function (v) { return v + "%"; } },
      xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" }, splitLine: { lineStyle: { color: "#eceff3" } } },
      yAxis: { type: "category", data: rows.map(function (d) { return d[0]; }), axisTick: { show: false } },
      series: [{
        name: spec.series, type: "bar", barMaxWidth: 18,
        label: { show: true, position: "right", formatter: "{c}%" },
        itemStyle: { color: "#c8102e", borderRadius: [0, 4, 4, 0] },
        showBackground: true, backgroundStyle: { color: "#f1f2f5" },
        data: rows.map(function (d) { return d[1]; })
      }]
    };
  }

  function credit(spec, el) {
    var rows = spec.data.slice().reverse();
    var names = (spec.series || "|").split("|");
    el.style.height = Math.max(200, rows.length * 44 + 70) + "px";
    return {
      textStyle: { fontFamily: FONT },
      legend: { top: 0, data: names },
      grid: { left: 8, right: 56, top: 30, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: function (v) { return v.toFixed(2); } },
      xAxis: { type: "value", splitLine: { lineStyle: { color: "#eceff3" } } },
      yAxis: { type: "category", data: rows.map(function (d) { return d[0]; }), axisTick: { show: false } },
      series: [
        { name: names[0], type: "bar", barMaxWidth: 14, itemStyle: { color: "#c8102e", borderRadius: [0, 4, 4, 0] },
          label: { show: true, position: "right", formatter: function (p) { return p.value ? p.value.toFixed(0) : ""; } },
          data: rows.map(function (d) { return d[1]; }) },
        { name: names[1], type: "bar", barMaxWidth: 14, itemStyle: { color: "#f28b94", borderRadius: [0, 4, 4, 0] },
          label: { show: true, position: "right", formatter: function (p) { return p.value ? p.value.toFixed(0) : ""; } },
          data: rows.map(function (d) { return d[2]; }) }
      ]
    };
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-chart"));
    if (!source || !window.echarts) { return; }
    var spec = JSON.parse(source.textContent);
    spec.series = el.getAttribute("data-series") || "";
    var option = spec.kind === "grades" ? grades(spec) : spec.kind === "credit" ? credit(spec, el) : coverage(spec, el);
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option);
    el.setAttribute("data-chart-ready", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawAll() {
    var nodes = document.querySelectorAll("[data-chart]:not([data-chart-ready])");
    for (var i = 0; i < nodes.length; i++) { draw(nodes[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
