// duban sources pages: livelihood progress chart and phrase timeline (ECharts); data comes from json_script.
(function () {
  "use strict";
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function box(id) {
    var el = document.getElementById(id);
    if (!el || typeof window.echarts === "undefined") { return null; }
    el.style.height = "280px";  // set from script: the CSP forbids style attributes
    el.style.width = "100%";
    var chart = window.echarts.init(el);
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }

  var livelihood = data("livelihood-data");
  var lc = livelihood && box("livelihood-chart");
  if (lc) {
    var months = livelihood.months.map(function (m) { return m.month; });
    lc.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: ["当月完成", "累计完成", "目标"] },
      grid: { left: 50, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "category", data: months },
      yAxis: { type: "value", name: livelihood.unit },
      series: [
        { name: "当月完成", type: "bar", data: livelihood.months.map(function (m) { return m.value; }) },
        { name: "累计完成", type: "line", data: livelihood.months.map(function (m) { return m.cumulative; }) },
        { name: "目标", type: "line", symbol: "none", lineStyle: { type: "dashed" },
          data: months.map(function () { return livelihood.target; }) }
      ]
    });
  }

  var phrase = data("phrase-data");
  var pc = phrase && phrase.length && box("phrase-chart");
  if (pc) {
    pc.setOption({
      tooltip: { trigger: "axis", formatter: function (p) { var i = p[0].dataIndex; return phrase[i].date + "<br>" + phrase[i].title.replace(/[<>&]/g, "") + "：" + phrase[i].count + " 次"; } },
      grid: { left: 40, right: 20, top: 20, bottom: 30 },
      xAxis: { type: "category", data: phrase.map(function (e) { return e.date; }) },
      yAxis: { type: "value", minInterval: 1, name: "次数" },
      series: [{ type: "bar", data: phrase.map(function (e) { return e.count; }) }]
    });
  }
})();
