/* 督导通 数据填报: 提交审核 waits until every edit of the form has reached the server (the form
 * saves itself through the outbox, outbox.js), and a save that changes which inputs apply (a
 * flag, the pupils) reloads the page once it is idle, so conditional fields appear. */
(function () {
  "use strict";
  var main = document.getElementById("report-form");

  function note(form, text) {
    var el = form.querySelector("[data-submit-state]");
    if (el) el.textContent = text;
  }

  function settled(formKey) {
    // resolves true when nothing of this form waits in the outbox, false when a save was refused
    return window.DDT.outboxItems().then(function (items) {
      var mine = items.filter(function (i) { return i.formKey === formKey; });
      if (mine.some(function (i) { return i.status === "failed"; })) return false;
      if (!mine.length) return true;
      return window.DDT.drain().then(function () {
        return new Promise(function (r) { setTimeout(r, 300); });
      }).then(function () { return settled(formKey); });
    });
  }

  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form.matches || !form.matches("form[data-submit-report]") || form.dataset.ready) return;
    evt.preventDefault();
    if (!navigator.onLine) { note(form, "当前无网络：填写已保存在本机，联网后再提交审核。"); return; }
    if (!main || !window.DDT || !window.DDT.autosave) { form.dataset.ready = "1"; form.submit(); return; }
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    note(form, "正在保存填写…");
    window.DDT.autosave(main).then(function () {
      return settled(location.pathname + "#" + main.id);
    }).then(function (ok) {
      if (!ok) {
        note(form, "有修改未能保存（见上方提示），请先处理后再提交。");
        if (button) button.disabled = false;
        return;
      }
      note(form, "正在提交…");
      form.dataset.ready = "1";
      form.submit();
    }).catch(function () {
      note(form, "保存失败，请稍后重试。");
      if (button) button.disabled = false;
    });
  });

  document.addEventListener("ddt:synced", function (evt) {
    if (!main || evt.detail.item.formId !== main.id) return;
    var j;
    try { j = JSON.parse(evt.detail.response.text); } catch (e) { return; }
    if (j.entries && j.entries !== main.getAttribute("data-entries")) {
      main.setAttribute("data-entries", j.entries);
      setTimeout(function () {
        var state = main.querySelector("[data-save-state]");
        if (window.DDT.pending === 0 && state && state.getAttribute("data-kind") === "saved") location.reload();
      }, 400);
    }
    var submitState = document.querySelector("[data-submit-state]");
    if (submitState && typeof j.missing === "number") {
      submitState.textContent = j.missing ? "还有 " + j.missing + " 项必填未填，填完后才能提交。" : "必填项已填完，可以提交审核。";
    }
  });
})();
