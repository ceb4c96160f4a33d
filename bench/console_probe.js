// bench/console.py's probe, added to every page before the console's own scripts run. It only
// watches (and clicks one row): times are taken in the page, on its own clock, so the time
// Playwright needs to ask the page something never enters a figure.
(() => {
  const bench = (window.__bench = { marks: {}, longTasks: [], clicked: null, messages: {} });
  const now = () => performance.now();
  const wall = () => performance.timeOrigin + performance.now();

  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) bench.longTasks.push([entry.startTime, entry.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch { /* no long-task timing in this browser: the figures say 0 */ }

  // Login -> interactive: the submit, the first inbox row in the DOM (and the frame that paints
  // it), a click on that row as soon as the main thread takes a task, its history in the DOM.
  document.addEventListener("submit", () => {
    if (bench.marks.submit !== undefined) return;
    bench.marks.submit = now();
    const observer = new MutationObserver(() => {
      const marks = bench.marks;
      if (marks.rows === undefined) {
        if (!document.querySelector(".rows .row")) return;
        marks.rows = now();
        requestAnimationFrame(() => { marks.rowsPainted = now(); });
        setTimeout(() => {
          const row = document.querySelector(".rows .row");
          marks.click = now();
          bench.clicked = row.dataset.id;
          row.click();
        }, 0);
      } else if (marks.click !== undefined && marks.opened === undefined && document.querySelector(".timeline .entry")) {
        marks.opened = now();
        marks.openedHash = location.hash;
        requestAnimationFrame(() => { marks.openedPainted = now(); observer.disconnect(); });
      }
    });
    observer.observe(document.body, { childList: true, subtree: true });
  }, true);

  /** Scroll the inbox `rows` rows down, `perFrame` rows a frame, timing every frame. */
  bench.scroll = (rows, perFrame, maxMs) => new Promise((resolve) => {
    const box = document.querySelector(".list-scroll");
    const rowH = document.querySelector(".rows .row-slot").offsetHeight;
    const target = rows * rowH;
    const started = now();
    const frames = [];
    let previous = null, maxDom = 0, stalled = 0, blank = 0, longBefore = bench.longTasks.length;
    function covered() {
      // What this frame paints: the new scroll position with the rows rendered so far.
      const slots = box.querySelectorAll(".rows .row-slot");
      if (!slots.length) return false;
      const top = slots[0].offsetTop, bottom = slots[slots.length - 1].offsetTop + rowH;
      // Up to the list's own end: below it there may be the "loading more" line, not a gap.
      const end = Math.min(box.scrollTop + box.clientHeight, box.querySelector(".rows").offsetHeight);
      return top <= box.scrollTop + 1 && bottom >= end - 1;
    }
    function step(at) {
      if (previous !== null) frames.push(at - previous);
      previous = at;
      maxDom = Math.max(maxDom, box.querySelectorAll(".rows .row-slot").length);
      const want = Math.min(target, box.scrollTop + perFrame * rowH);
      box.scrollTop = want;
      if (box.scrollTop < want - 1) stalled++; // the loaded end of the list: the next page is not in yet
      if (!covered()) blank++;
      if (box.scrollTop >= target - 1 || now() - started > maxMs) {
        resolve({
          frames, maxDom, stalled, blank, rowH, rowsScrolled: Math.floor(box.scrollTop / rowH),
          seconds: (now() - started) / 1000, loadedRows: Math.round(box.scrollHeight / rowH),
          longTasks: bench.longTasks.slice(longBefore).map(([, duration]) => duration),
        });
        return;
      }
      requestAnimationFrame(step);
    }
    requestAnimationFrame(step);
  });

  /** From now on, note when each customer text `<nonce>-<n> …` appears in the open conversation. */
  bench.watchMessages = (nonce) => {
    const pattern = new RegExp(`^${nonce}-(\\d+) `);
    const seen = bench.messages;
    bench.marks.watch = now();
    const observer = new MutationObserver(() => {
      const domWall = wall(), domDate = Date.now();
      const fresh = [];
      for (const el of document.querySelectorAll(".timeline .side-customer .text")) {
        const match = pattern.exec(el.textContent);
        if (match && !(match[1] in seen)) {
          seen[match[1]] = { dom: domWall, date: domDate, painted: null };
          fresh.push(match[1]);
        }
      }
      if (fresh.length) requestAnimationFrame(() => { const at = wall(); for (const n of fresh) seen[n].painted = at; });
    });
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
    bench.stopMessages = () => observer.disconnect();
  };
})();
