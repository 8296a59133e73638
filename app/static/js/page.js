/* 督导通 page behaviours that used to be inline (the Content-Security-Policy allows no inline
 * script): print buttons, confirmations before a form is sent, select filters, download progress,
 * upload progress. */
(function () {
  "use strict";
  document.addEventListener("click", function (evt) {
    var t = evt.target.closest ? evt.target.closest("[data-print]") : null;
    if (t) { evt.preventDefault(); window.print(); }
  });
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { evt.preventDefault(); evt.stopImmediatePropagation(); }
  }, true);

  // A search box that narrows a <select> of the same form (data-filter-select="<select name>"):
  // options not matching are hidden, and a hidden selection moves to the first match.
  document.addEventListener("input", function (evt) {
    var box = evt.target;
    var name = box.getAttribute && box.getAttribute("data-filter-select");
    if (!name || !box.form) return;
    var select = box.form.elements[name];
    if (!select || !select.options) return;
    var q = box.value.trim().toLowerCase(), first = null;
    for (var i = 0; i < select.options.length; i++) {
      var o = select.options[i], match = !q || o.text.toLowerCase().indexOf(q) !== -1;
      o.hidden = !match;
      if (match && !first) first = o;
    }
    var chosen = select.selectedOptions && select.selectedOptions[0];
    if (first && chosen && chosen.hidden) first.selected = true;
  });

  // Upload progress: htmx relays the XHR's upload progress as htmx:xhr:progress.
  document.addEventListener("htmx:xhr:progress", function (evt) {
    var bar = document.querySelector("#upload-progress progress");
    if (bar && evt.detail.lengthComputable) bar.value = Math.round(evt.detail.loaded / evt.detail.total * 100);
  });

  // Downloads with a progress indicator: the file is generated on the server (other users are
  // not blocked: each request runs in its own worker thread), then streamed with its length.
  function download(a) {
    var box = document.getElementById("download-progress");
    if (!box) return false;
    var bar = box.querySelector("progress");
    var msg = box.querySelector(".msg");
    box.hidden = false; bar.removeAttribute("value"); msg.textContent = "正在生成「" + a.querySelector("strong").textContent + "」…";
    var xhr = new XMLHttpRequest();
    xhr.open("GET", a.href);
    xhr.responseType = "blob";
    xhr.onprogress = function (e) { if (e.lengthComputable) { msg.textContent = "正在下载…"; bar.value = Math.round(e.loaded / e.total * 100); } };
    xhr.onload = function () {
      if (xhr.status !== 200) { msg.textContent = "生成失败（" + xhr.status + "），请稍后重试。"; return; }
      var name = decodeURIComponent(((xhr.getResponseHeader("Content-Disposition") || "").match(/filename\*=UTF-8''([^;]+)/) || [])[1] || "download");
      var link = document.createElement("a");
      link.href = URL.createObjectURL(xhr.response);
      link.download = name;
      document.body.appendChild(link); link.click(); link.remove();
      msg.textContent = "已下载：" + name; bar.value = 100;
    };
    xhr.onerror = function () { msg.textContent = "网络中断，请联网后重试。"; };
    xhr.send();
    return true;
  }
  document.addEventListener("click", function (evt) {
    var a = evt.target.closest ? evt.target.closest("a[data-download]") : null;
    if (a && download(a)) evt.preventDefault();
  });
})();
