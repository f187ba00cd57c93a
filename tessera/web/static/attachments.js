// Attachments on the issue page by drag and drop (onto the page; the attachments panel is
// highlighted) and by pasting files (a screenshot from the clipboard), through the panel's own
// upload form (POST /browse/{key}/attachments, the same domain steps as the API). A progress bar
// shows while the files go up; the refreshed panel replaces the old one, and a refusal (too
// large, over the quota, not allowed) is shown under it.
(function () {
  "use strict";
  const main = document.querySelector(".issue-main");
  if (!main) return;
  const csrf = (document.getElementById("live-bar") || {dataset: {}}).dataset.csrf || "";

  function panel() { return document.getElementById("attachments"); }
  function form() { return document.querySelector("#attachments .attachment-form"); }

  function statusArea() {
    let area = document.getElementById("upload-status");
    if (!area) {
      area = document.createElement("div");
      area.id = "upload-status";
      area.className = "upload-status";
      area.setAttribute("aria-live", "polite");
      const target = panel();
      if (target) target.after(area);
    }
    return area;
  }

  function report(text, kind, fraction) {
    const area = statusArea();
    area.replaceChildren();
    area.className = "upload-status" + (kind === "error" ? " alert alert-error" : "");
    area.setAttribute("role", kind === "error" ? "alert" : "status");
    if (fraction !== undefined) {
      const bar = document.createElement("progress");
      bar.max = 100;
      bar.value = Math.round(fraction * 100);
      bar.setAttribute("aria-label", "Upload progress");
      area.append(bar, " ");
    }
    area.append(text);
  }

  function messageOf(html, status) {
    const text = new DOMParser().parseFromString(html, "text/html").body.textContent.replace(/\s+/g, " ").trim();
    return text || `The upload failed (${status}).`;
  }

  function upload(files) {
    const target = form();
    if (!files.length) return;
    if (!target) { report("You may not attach files to this issue.", "error"); return; }
    const data = new FormData();
    data.append("csrf_token", csrf);
    files.forEach((file) => data.append("file", file, file.name || "pasted-image.png"));
    const names = files.map((file) => file.name || "pasted image").join(", ");
    const request = new XMLHttpRequest();
    request.open("POST", target.getAttribute("action"));
    request.setRequestHeader("HX-Request", "true");
    request.setRequestHeader("X-CSRF-Token", csrf);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) report(`Uploading ${names}…`, "progress", event.loaded / event.total);
    });
    request.addEventListener("load", () => {
      if (request.status === 200) {
        const old = panel();
        const fresh = new DOMParser().parseFromString(request.responseText, "text/html").getElementById("attachments");
        if (old && fresh) {
          old.replaceWith(fresh);
          if (window.htmx) window.htmx.process(fresh);
        }
        report(`Attached ${names}.`, "done");
      } else {
        report(messageOf(request.responseText, request.status), "error");
      }
    });
    request.addEventListener("error", () => report("The upload failed: the connection was lost.", "error"));
    report(`Uploading ${names}…`, "progress", 0);
    request.send(data);
  }

  function hasFiles(event) {
    return event.dataTransfer && [...event.dataTransfer.types].includes("Files");
  }

  let depth = 0;
  document.addEventListener("dragenter", (event) => {
    if (!hasFiles(event)) return;
    depth++;
    const target = panel();
    if (target) target.classList.add("drop-target");
  });
  document.addEventListener("dragleave", (event) => {
    if (!hasFiles(event)) return;
    depth = Math.max(0, depth - 1);
    const target = panel();
    if (target && !depth) target.classList.remove("drop-target");
  });
  document.addEventListener("dragover", (event) => {
    if (hasFiles(event)) event.preventDefault();  // allows the drop
  });
  document.addEventListener("drop", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth = 0;
    const target = panel();
    if (target) target.classList.remove("drop-target");
    upload([...event.dataTransfer.files]);
  });
  document.addEventListener("paste", (event) => {
    const files = event.clipboardData ? [...event.clipboardData.files] : [];
    if (!files.length) return;  // text pastes as usual
    event.preventDefault();
    upload(files);
  });
})();
