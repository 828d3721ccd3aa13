// Arrears pages work without this script; it only adds conveniences (see each section).
"use strict";

// The task list: select many. Without the script the row boxes and the bulk form's buttons work as
// they are (the boxes belong to the form through their `form` attribute). With it: shift-click a box
// to set every box between it and the last one clicked the same way; a box in the header selects the
// page; a live "N selected"; and, once the whole page is selected, the offer to select every task
// that matches the filters.
(function selectMany() {
  const form = document.getElementById("bulk");
  if (!form) {
    return;
  }
  const boxes = Array.from(document.querySelectorAll("input.select-task"));
  const pageBox = document.getElementById("select-page");
  const count = document.getElementById("selected-count");
  const offer = document.getElementById("all-matching-offer");
  const allMatching = document.getElementById("all-matching");
  const actions = Array.from(form.querySelectorAll('button[name="action"]'));
  const total = Number(form.dataset.total || "0");
  let last = null;

  function update() {
    const checked = boxes.filter((box) => box.checked).length;
    const whole = boxes.length > 0 && checked === boxes.length;
    if (offer) {
      offer.hidden = !whole;
      if (!whole && allMatching) {
        allMatching.checked = false;
      }
    }
    const everything = Boolean(allMatching && allMatching.checked);
    if (count) {
      count.textContent = everything
        ? `All ${total.toLocaleString("en")} matching tasks selected`
        : `${checked} selected`;
    }
    if (pageBox) {
      pageBox.checked = whole;
      pageBox.indeterminate = checked > 0 && !whole;
    }
    form.classList.toggle("active", checked > 0);
    actions.forEach((button) => {
      button.disabled = checked === 0;
    });
  }

  boxes.forEach((box) => {
    box.addEventListener("click", (event) => {
      if (event.shiftKey) {
        // the browser also selected the text between the two clicks: not wanted here
        window.getSelection()?.removeAllRanges();
      }
      if (event.shiftKey && last !== null && last !== box) {
        const [from, to] = [boxes.indexOf(last), boxes.indexOf(box)].sort((a, b) => a - b);
        for (let i = from; i <= to; i += 1) {
          boxes[i].checked = box.checked;
        }
      }
      last = box;
      update();
    });
  });
  if (pageBox) {
    pageBox.hidden = false;
    pageBox.addEventListener("change", () => {
      boxes.forEach((box) => {
        box.checked = pageBox.checked;
      });
      last = null;
      update();
    });
  }
  if (allMatching) {
    allMatching.addEventListener("change", update);
  }
  update();
})();

// The import page (import.html, routes/imports.py). Without the script the form posts as usual and
// the answer comes when the import is done. With it: the form is sent by XMLHttpRequest, the
// <progress> bar shows the upload, then how much of the file the server has read (polled from
// /import/progress/RUN every 500 ms), and the answer replaces the page's main part in place.
(function importWithProgress() {
  function runId() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function megabytes(n) {
    return `${(n / 1048576).toLocaleString("en", { maximumFractionDigits: 1 })} MB`;
  }

  // A field only for some kinds ("the file lists every invoice", data-for-kind="invoices") shows only
  // while its kind is chosen, and is unticked when hidden; without the script it is always there and
  // its label says which kind it is for (the server refuses it for another kind).
  function showFieldsOfKind(form) {
    const kind = form.querySelector('select[name="kind"]');
    const fields = form.querySelectorAll("[data-for-kind]");
    if (!kind) {
      return;
    }
    const update = () => {
      fields.forEach((field) => {
        field.hidden = field.dataset.forKind !== kind.value;
        if (field.hidden) {
          field.querySelectorAll("input[type=checkbox]").forEach((box) => {
            box.checked = false;
          });
        }
      });
    };
    kind.addEventListener("change", update);
    update();
  }

  function setUp(form) {
    showFieldsOfKind(form);
    const box = form.querySelector(".upload-progress");
    const bar = box && box.querySelector("progress");
    const label = box && box.querySelector("label");
    const status = box && box.querySelector(".upload-status");
    const button = form.querySelector('button[type="submit"]');
    if (!box || !bar || !label || !status || !button || !window.XMLHttpRequest) {
      return;
    }
    form.addEventListener("submit", (event) => {
      if (!form.checkValidity()) {
        return;
      }
      event.preventDefault();
      const run = runId();
      const data = new FormData(form);
      data.set("run", run);
      const xhr = new XMLHttpRequest();
      let timer = null;

      function show(what, done, total) {
        label.textContent = what;
        if (total > 0) {
          bar.max = total;
          bar.value = Math.min(done, total);
          status.textContent = `${megabytes(done)} of ${megabytes(total)}`;
        } else {
          bar.removeAttribute("value");
          status.textContent = "";
        }
      }

      function poll() {
        fetch(`/import/progress/${run}`, { headers: { Accept: "application/json" } })
          .then((answer) => (answer.ok ? answer.json() : null))
          .then((seen) => {
            if (seen && seen.read !== null && timer !== null) {
              const finishing = seen.read >= seen.total;
              show(finishing ? "Checking and saving the rows" : "Reading the file", seen.read, seen.total);
            }
          })
          .catch(() => {});
      }

      box.hidden = false;
      button.disabled = true;
      show("Uploading", 0, 0);
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) {
          show("Uploading", e.loaded, e.total);
        }
      });
      xhr.upload.addEventListener("load", () => {
        show("Reading the file", 0, 0);
        timer = window.setInterval(poll, 500);
      });
      xhr.addEventListener("loadend", () => {
        if (timer !== null) {
          window.clearInterval(timer);
          timer = null;
        }
      });
      xhr.addEventListener("load", () => {
        const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
        const main = page.querySelector("main");
        const here = new URL(xhr.responseURL || form.action, window.location.href);
        if (!main || here.pathname !== "/import") {
          window.location.assign(here.href); // e.g. the sign-in page, when the session ended
          return;
        }
        document.title = page.title;
        document.querySelector("main").replaceWith(main);
        const again = main.querySelector("form[data-upload]");
        if (again) {
          setUp(again);
        }
        const heading = main.querySelector(".import-result h2, .import-errors h2, .problem h1");
        if (heading) {
          heading.tabIndex = -1;
          heading.focus();
        }
      });
      xhr.addEventListener("error", () => {
        button.disabled = false;
        show("The upload failed: check the connection and try again", 0, 0);
        bar.value = 0;
      });
      xhr.open("POST", form.action);
      xhr.send(data);
    });
  }

  document.querySelectorAll("form[data-upload]").forEach(setUp);
})();

// Copy a value shown once (a portal link on the customer record, customer.html): without the script
// the readonly box is there to select and copy by hand. With it: a click in the box selects all of
// it, and the box's "Copy" button (hidden otherwise) puts it on the clipboard and says so.
(function copyButtons() {
  document.querySelectorAll("input[data-copy]").forEach((box) => {
    box.addEventListener("focus", () => box.select());
  });
  document.querySelectorAll("button[data-copy-from]").forEach((button) => {
    const box = document.getElementById(button.dataset.copyFrom || "");
    if (!box || !navigator.clipboard) {
      return;
    }
    const label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", () => {
      navigator.clipboard.writeText(box.value).then(
        () => {
          button.textContent = "Copied";
          window.setTimeout(() => {
            button.textContent = label;
          }, 2000);
        },
        () => {
          box.focus();
          box.select();
        },
      );
    });
  });
})();
