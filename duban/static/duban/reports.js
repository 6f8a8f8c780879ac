// Reporting dashboard charts (ECharts). The figures come from the page (json_script "reports-data"): the same
// rows the tables under each chart show and the CSV links download.
(function () {
  "use strict";
  var node = document.getElementById("reports-data");
  if (!node || !window.echarts) { return; }
  var data = JSON.parse(node.textContent);
  // Colours from the one palette (duban/tasks/palette.py): red is overdue only.
  var lightColors = data.palette;
  var charts = [];

  function init(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    var chart = window.echarts.init(el);
    charts.push(chart);
    return chart;
  }

  function lights() {
    var chart = init("chart-lights");
    if (!chart) { return; }
    chart.setOption({
      tooltip: { trigger: "item" },
      legend: { bottom: 0, type: "scroll" },
      series: [{ type: "pie", radius: ["35%", "65%"], center: ["50%", "45%"],
                 // as the dashboard's ring: labels inside the chart on a phone's narrow card, overlaps hidden
                 label: { formatter: "{b}\n{c}", alignTo: "edge", edgeDistance: 4, minMargin: 4 },
                 labelLine: { length: 8, length2: 0 }, labelLayout: { hideOverlap: true },
                 data: data.lights.map(function (l) {
                   // a colour with no task keeps its legend entry but draws no label on the ring
                   var none = l.value === 0;
                   return { name: l.name, value: l.value, itemStyle: { color: lightColors[l.code] },
                            label: { show: !none }, labelLine: { show: !none } };
                 }) }]
    });
  }

  function grouped(id, rows, horizontal) {
    var chart = init(id);
    if (!chart) { return; }
    var names = rows.map(function (r) { return r.name; });
    var category = { type: "category", data: names, axisLabel: { interval: 0, width: 90, overflow: "truncate" } };
    if (!horizontal && names.length > 5) { category.axisLabel.rotate = 35; }
    var value = { type: "value", minInterval: 1, name: "事项" };
    var rate = { type: "value", min: 0, max: 100, name: "办结率%", splitLine: { show: false } };
    function stack(code, label) {
      return { name: label, type: "bar", stack: "lights", itemStyle: { color: lightColors[code] },
               data: rows.map(function (r) { return code === "closed" ? r.closed : r[code]; }) };
    }
    var series = [stack("closed", "已办结"), stack("green", "绿灯"), stack("blue", "蓝灯"),
                  stack("yellow", "黄灯"), stack("red", "红灯")];
    var option = {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 16, bottom: 8, top: 40, containLabel: true },
      series: series
    };
    if (horizontal) {
      option.xAxis = Object.assign(value, { nameLocation: "middle", nameGap: 24 });  // under the axis, clear of the slider
      option.grid.bottom = 28;
      option.yAxis = Object.assign(category, { inverse: true });
      // as many rows at once as the chart's height keeps readable (15 on a desk, 11 on a phone)
      var shown = Math.max(8, Math.floor((chart.getHeight() - 100) / 16));
      if (names.length > shown) {
        // a city has dozens of units, a province hundreds: some at a time, readable, the rest by the slider
        // (or the wheel) and in the table under the chart
        option.grid.right = 36;
        option.dataZoom = [
          { type: "slider", yAxisIndex: 0, right: 4, width: 16, startValue: 0, endValue: shown - 1,
            showDetail: false, brushSelect: false },
          { type: "inside", yAxisIndex: 0, startValue: 0, endValue: shown - 1, zoomOnMouseWheel: false,
            moveOnMouseWheel: true, moveOnMouseMove: false }
        ];
      }
    } else {
      option.xAxis = category;
      option.yAxis = [value, rate];
      series.push({ name: "办结率", type: "line", yAxisIndex: 1, data: rows.map(function (r) { return r.rate; }),
                    itemStyle: { color: "#5f3dc4" } });
    }
    chart.setOption(option);
  }

  function weeks() {
    var chart = init("chart-weeks");
    if (!chart) { return; }
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 8, right: 16, bottom: 8, top: 32, containLabel: true },
      xAxis: { type: "category", data: data.weeks.map(function (w) { return w.week.slice(5); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "办结", type: "bar", data: data.weeks.map(function (w) { return w.completed; }),
          itemStyle: { color: lightColors.green } },
        { name: "逾期", type: "line", data: data.weeks.map(function (w) { return w.overdue; }),
          itemStyle: { color: lightColors.red } }
      ]
    });
  }

  lights();
  weeks();
  grouped("chart-by_area", data.by_area, false);
  grouped("chart-by_unit", data.by_unit, true);
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
