/* 督导通 photo compression on the phone, before upload (no dependencies).
 *
 * DDT.compressImage(file, {longEdge: 1600, quality: 0.8}) -> Promise<Blob> (image/jpeg)
 *   Decodes with the EXIF orientation applied, then halves the size on canvases step by step
 *   while it is more than twice the target and draws the final size: each step holds only two
 *   moderate canvases, which keeps inside iOS Safari's canvas memory limits, and stepwise
 *   halving looks better than one big jump. Canvases are released (0×0) after use.
 * DDT.captureMeta() -> Promise<{taken_at, lat?, lng?, accuracy?}>
 *   The phone's time and, where the user allows it, its position (browsers strip both from
 *   the file, so they travel as form fields).
 */
(function () {
  "use strict";
  var DDT = (window.DDT = window.DDT || {});

  function decode(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () {
        return createImageBitmap(file);
      }).catch(function () { return decodeWithImg(file); });
    }
    return decodeWithImg(file);
  }

  function decodeWithImg(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () { resolve(img); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("无法读取图片")); };
      img.src = url;
    });
  }

  function canvas(w, h) {
    var c = document.createElement("canvas");
    c.width = w;
    c.height = h;
    return c;
  }

  function release(c) { if (c) { c.width = 0; c.height = 0; } }

  function toBlob(c, quality) {
    return new Promise(function (resolve, reject) {
      c.toBlob(function (b) { if (b) resolve(b); else reject(new Error("压缩失败")); }, "image/jpeg", quality);
    });
  }

  DDT.compressImage = function (file, options) {
    var longEdge = (options && options.longEdge) || 1600;
    var quality = (options && options.quality) || 0.8;
    return decode(file).then(function (src) {
      var w = src.width || src.naturalWidth;
      var h = src.height || src.naturalHeight;
      var scale = Math.min(1, longEdge / Math.max(w, h));
      var tw = Math.max(1, Math.round(w * scale));
      var th = Math.max(1, Math.round(h * scale));
      if (scale === 1 && file.type === "image/jpeg" && file.size < 700 * 1024) {
        if (src.close) src.close();
        return file;  // already small: send as is (the server cleans it anyway)
      }
      var current = src;
      var cw = w;
      var ch = h;
      var steps = [];
      while (cw >= tw * 2 && ch >= th * 2) {  // halve while the half is still at least the target
        cw = Math.round(cw / 2);
        ch = Math.round(ch / 2);
        var step = canvas(cw, ch);
        var ctx = step.getContext("2d");
        ctx.imageSmoothingEnabled = true;
        ctx.imageSmoothingQuality = "high";
        ctx.drawImage(current, 0, 0, cw, ch);
        if (steps.length) release(steps[steps.length - 1]);
        else if (current.close) current.close();
        steps.push(step);
        current = step;
      }
      var out = canvas(tw, th);
      var octx = out.getContext("2d");
      octx.imageSmoothingEnabled = true;
      octx.imageSmoothingQuality = "high";
      octx.fillStyle = "#fff";
      octx.fillRect(0, 0, tw, th);
      octx.drawImage(current, 0, 0, tw, th);
      steps.forEach(release);
      if (current.close) current.close();
      if (current.src && current.src.indexOf("blob:") === 0) URL.revokeObjectURL(current.src);
      return toBlob(out, quality).then(function (blob) { release(out); return blob; });
    });
  };

  DDT.captureMeta = function () {
    var meta = { taken_at: new Date().toISOString() };
    if (!navigator.geolocation) return Promise.resolve(meta);
    return new Promise(function (resolve) {
      var done = false;
      var finish = function () { if (!done) { done = true; resolve(meta); } };
      setTimeout(finish, 5000);
      try {
        navigator.geolocation.getCurrentPosition(function (pos) {
          meta.lat = pos.coords.latitude;
          meta.lng = pos.coords.longitude;
          meta.accuracy = pos.coords.accuracy;
          finish();
        }, finish, { enableHighAccuracy: false, timeout: 5000, maximumAge: 60000 });
      } catch (e) { finish(); }
    });
  };
})();
