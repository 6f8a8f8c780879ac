// Dashboard charts (ECharts). The figures come from the page (json_script), the same ones the tables show.
(function () {
  "use strict";
  var node = document.getElementById("dashboard-data");
  if (!node || !window.echarts) { return; }
  var data = JSON.parse(node.textContent);
  // Series, labels and colours come from the one palette (duban/tasks/palette.py): red is overdue only.
  var kinds = data.series || [];
  var charts = [];

  function bar(id, series, horizontal) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var chart = window.echarts.init(el);
    var names = series.names;
    var category = { type: "category", data: names, axisLabel: { interval: 0, width: 90, overflow: "truncate" } };
    var value = { type: "value", minInterval: 1 };
    if (!horizontal) { category.axisLabel.rotate = names.length > 6 ? 35 : 0; }
    function s(kind) {
      return { name: kind.name, type: "bar", stack: "total", data: series[kind.key],
               itemStyle: { color: kind.color }, emphasis: { focus: "series" } };
    }
    chart.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 16, bottom: 8, top: 32, containLabel: true },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? Object.assign(category, { inverse: true }) : value,
      series: kinds.map(s)
    });
    charts.push(chart);
  }

  function pie(id, rows) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "item" },
      legend: { bottom: 0, type: "scroll" },
      // labels kept inside the chart (a phone's narrow card cut them at its edges) and a label that would
      // overlap another hidden (its slice still has the tooltip and the legend)
      series: [{ type: "pie", radius: ["35%", "65%"], center: ["50%", "45%"], data: rows,
                 label: { formatter: "{b}\n{c}", alignTo: "edge", edgeDistance: 4, minMargin: 4 },
                 labelLine: { length: 8, length2: 0 }, labelLayout: { hideOverlap: true } }]
    });
    charts.push(chart);
  }

  bar("chart-area", data.area, false);
  bar("chart-unit", data.unit, true);
  pie("chart-status", data.status);
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
