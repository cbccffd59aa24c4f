// The episode browser of episodes.html: filters held in the URL fragment, one page of episodes
// rendered at a time, one task side by side, and the numbers recomputed from the rows shown.
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("data").textContent);
  const KEYS = ["configuration", "condition", "skill", "task", "scorer", "verdict", "paired", "pair", "view", "page"];
  const VERDICTS = ["pass", "fail", "undecided"];
  // Episode row: configuration, task, condition, seed, prompt, response, reasoning, finish,
  // prompt tokens, completion tokens, id. Verdict row: episode, scorer, passed, format ok,
  // extracted, reason, judge output.
  const E = { cfg: 0, task: 1, cond: 2, seed: 3, prompt: 4, response: 5, reasoning: 6, finish: 7, ptok: 8, ctok: 9, id: 10 };
  const V = { ep: 0, scorer: 1, passed: 2, format: 3, extracted: 4, reason: 5, judge: 6 };
  const cfgIndex = new Map(D.configurations.map((c, i) => [c.name, i]));
  const taskIndex = new Map(D.tasks.map((t, i) => [t[0], i]));
  const verdictsOf = D.episodes.map(() => []);
  D.verdicts.forEach((v, i) => verdictsOf[v[V.ep]].push(i));

  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const signed = (x) => (x === null || Number.isNaN(x) ? "—" : (x >= 0 ? "+" : "") + x.toFixed(3));
  const rate = (x) => (x === null || Number.isNaN(x) ? "—" : x.toFixed(3));
  const word = (p) => (p === null ? "undecided" : p ? "pass" : "fail");
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

  function parse(hash) {
    const params = new URLSearchParams(String(hash || "").replace(/^#/, ""));
    const state = {};
    for (const key of KEYS) state[key] = params.getAll(key).filter((x) => x !== "");
    state.paired = state.paired.includes("1");
    state.view = state.view[0] || "list";
    state.page = Math.max(1, parseInt(state.page[0] || "1", 10) || 1);
    return state;
  }

  function format(state) {
    const params = new URLSearchParams();
    for (const key of KEYS) {
      if (key === "paired") { if (state.paired) params.append(key, "1"); continue; }
      if (key === "view") { if (state.view !== "list") params.append(key, state.view); continue; }
      if (key === "page") { if (state.page > 1) params.append(key, String(state.page)); continue; }
      for (const value of state[key]) params.append(key, value);
    }
    return "#" + params.toString().replace(/%2F/g, "/");
  }

  // The verdict rows a state selects, in episode order. `paired` keeps, per scorer, the tasks
  // that every selected configuration (or every one `pair` names) decided under both
  // conditions: the tasks Δ and lift count.
  function select(state) {
    const has = (list, value) => list.length === 0 || list.includes(value);
    const cfgs = new Set(state.configuration.map((c) => cfgIndex.get(c)));
    const pair = new Set(state.pair.map((c) => cfgIndex.get(c)));
    const base = [];
    D.verdicts.forEach((v, i) => {
      const ep = D.episodes[v[V.ep]];
      const task = D.tasks[ep[E.task]];
      if (cfgs.size && !cfgs.has(ep[E.cfg]) && !pair.has(ep[E.cfg])) return;
      if (!has(state.scorer, D.scorers[v[V.scorer]])) return;
      if (!has(state.skill, D.skills[task[1]]) || !has(state.task, task[0])) return;
      base.push(i);
    });
    let kept = base;
    if (state.paired) {
      const decided = new Map(); // scorer|task → configuration → condition bits
      const present = new Map(); // scorer → configurations seen
      for (const i of base) {
        const v = D.verdicts[i], ep = D.episodes[v[V.ep]];
        const scorerKey = v[V.scorer];
        if (!present.has(scorerKey)) present.set(scorerKey, new Set());
        present.get(scorerKey).add(ep[E.cfg]);
        if (v[V.passed] === null) continue;
        const key = scorerKey + "|" + ep[E.task];
        if (!decided.has(key)) decided.set(key, new Map());
        const bits = decided.get(key);
        bits.set(ep[E.cfg], (bits.get(ep[E.cfg]) || 0) | (1 << ep[E.cond]));
      }
      const ok = (v, ep) => {
        const need = pair.size ? pair : cfgs.size ? cfgs : present.get(v[V.scorer]);
        const bits = decided.get(v[V.scorer] + "|" + ep[E.task]);
        if (!bits) return false;
        for (const c of need) if (bits.get(c) !== 3) return false;
        return true;
      };
      kept = base.filter((i) => ok(D.verdicts[i], D.episodes[D.verdicts[i][V.ep]]));
    }
    return kept.filter((i) => {
      const v = D.verdicts[i], ep = D.episodes[v[V.ep]];
      if (cfgs.size && !cfgs.has(ep[E.cfg])) return false;
      return has(state.condition, D.conditions[ep[E.cond]]) && has(state.verdict, word(v[V.passed]));
    });
  }

  function episodesOf(verdicts) {
    const seen = new Set();
    for (const i of verdicts) seen.add(D.verdicts[i][V.ep]);
    return [...seen].sort((a, b) => a - b);
  }

  // Pass rates, Δ and lift of the selected rows, computed as the analysis computes them:
  // a task's outcome is its mean over rollout seeds; Δ and lift average over tasks.
  function stats(verdicts) {
    const rates = new Map(), outcomes = new Map();
    for (const i of verdicts) {
      const v = D.verdicts[i], ep = D.episodes[v[V.ep]];
      const key = [ep[E.cfg], v[V.scorer], ep[E.cond]].join("|");
      if (!rates.has(key)) rates.set(key, { cfg: ep[E.cfg], scorer: v[V.scorer], cond: ep[E.cond], verdicts: 0, n: 0, passed: 0 });
      const r = rates.get(key);
      r.verdicts += 1;
      if (v[V.passed] === null) continue;
      r.n += 1; r.passed += v[V.passed];
      const okey = ep[E.cfg] + "|" + v[V.scorer];
      if (!outcomes.has(okey)) outcomes.set(okey, new Map());
      const tasks = outcomes.get(okey);
      if (!tasks.has(ep[E.task])) tasks.set(ep[E.task], [[], []]);
      tasks.get(ep[E.task])[ep[E.cond]].push(v[V.passed]);
    }
    const taskDelta = new Map(); // cfg|scorer → task → Δ of the task
    const deltas = [];
    for (const [key, tasks] of outcomes) {
      const [cfg, scorer] = key.split("|").map(Number);
      const per = new Map();
      for (const [task, [b, c]] of tasks) if (b.length && c.length) per.set(task, mean(c) - mean(b));
      taskDelta.set(key, per);
      if (per.size) deltas.push({ cfg, scorer, tasks: per.size, delta: mean([...per.values()]) });
    }
    const lifts = [];
    const pres = D.configurations.map((c, i) => i).filter((i) => D.configurations[i].stage === "pre");
    for (const pre of pres) {
      const student = D.configurations[pre].student;
      const posts = D.configurations.map((c, i) => i).filter((i) => D.configurations[i].stage === "post" && D.configurations[i].student === student);
      const recipes = [...new Set(posts.map((i) => D.configurations[i].recipe))];
      for (let s = 0; s < D.scorers.length; s++) {
        const before = taskDelta.get(pre + "|" + s);
        if (!before) continue;
        for (const recipe of recipes) {
          const after = posts.filter((i) => D.configurations[i].recipe === recipe && taskDelta.has(i + "|" + s));
          if (!after.length) continue;
          const common = [...before.keys()].filter((t) => after.every((i) => taskDelta.get(i + "|" + s).has(t)));
          if (!common.length) continue;
          const perSeed = after.map((i) => mean(common.map((t) => taskDelta.get(i + "|" + s).get(t) - before.get(t))));
          lifts.push({ student, size: D.configurations[pre].size, recipe, scorer: s, tasks: common.length, seeds: after.length, lift: mean(perSeed) });
        }
      }
    }
    const order = (a, b) => a.cfg - b.cfg || a.scorer - b.scorer || (a.cond || 0) - (b.cond || 0);
    return { rates: [...rates.values()].sort(order), deltas: deltas.sort(order), lifts };
  }

  // For tests and scripts: what a fragment selects, by verdict and episode id.
  window.procsftEpisodes = {
    select(hash) {
      const rows = select(parse(hash));
      const s = stats(rows);
      return {
        verdicts: rows.map((i) => D.episodes[D.verdicts[i][V.ep]][E.id] + "|" + D.scorers[D.verdicts[i][V.scorer]]),
        episodes: episodesOf(rows).map((e) => D.episodes[e][E.id]),
        rates: s.rates.map((r) => ({ configuration: D.configurations[r.cfg].name, scorer: D.scorers[r.scorer], condition: D.conditions[r.cond], verdicts: r.verdicts, n: r.n, passed: r.passed })),
        deltas: s.deltas.map((d) => ({ configuration: D.configurations[d.cfg].name, scorer: D.scorers[d.scorer], n_tasks: d.tasks, delta: d.delta })),
        lifts: s.lifts.map((l) => ({ student: l.student, recipe: l.recipe, scorer: D.scorers[l.scorer], n_tasks: l.tasks, n_seeds: l.seeds, lift: l.lift })),
      };
    },
  };

  const app = document.getElementById("app");
  let state = parse(location.hash);

  function go(changes) {
    const next = Object.assign({}, state, changes);
    if (!("page" in changes)) next.page = 1;
    if ("configuration" in changes) next.pair = []; // a link's pairing belongs to its own rows
    location.hash = format(next);
  }

  function chips(key, values, labels) {
    return `<div class="filter"><span class="label">${key}</span>` + values.map((value, i) => {
      const on = state[key].includes(value);
      return `<button class="chip${on ? " on" : ""}" data-key="${key}" data-value="${esc(value)}">${esc(labels ? labels[i] : value)}</button>`;
    }).join("") + "</div>";
  }

  function filters() {
    const skillOptions = ['<option value="">all skills</option>'].concat(D.skills.map((s) =>
      `<option value="${esc(s)}"${state.skill.length === 1 && state.skill[0] === s ? " selected" : ""}>${esc(s)}</option>`));
    if (state.skill.length > 1) skillOptions.push(`<option selected disabled>${state.skill.length} skills</option>`);
    return `<form class="filters" onsubmit="return false">` +
      chips("configuration", D.configurations.map((c) => c.name)) +
      chips("condition", D.conditions) + chips("scorer", D.scorers) + chips("verdict", VERDICTS) +
      `<div class="filter"><span class="label">skill</span><select id="skill">${skillOptions.join("")}</select>` +
      `<span class="label">task</span><input id="task" list="tasks" placeholder="task id" value="${esc(state.task.join(","))}">` +
      `<datalist id="tasks">${D.tasks.map((t) => `<option value="${esc(t[0])}">`).join("")}</datalist>` +
      `<label><input type="checkbox" id="paired"${state.paired ? " checked" : ""}> paired: only tasks every selected configuration decided under both conditions (what Δ and lift count)</label>` +
      ` <a href="#">clear all</a></div></form>`;
  }

  function statsTable(s) {
    const cfg = (i) => esc(D.configurations[i].name);
    const rows = s.rates.map((r) => `<tr data-kind="rate" data-configuration="${cfg(r.cfg)}" data-scorer="${esc(D.scorers[r.scorer])}" data-condition="${D.conditions[r.cond]}" data-n="${r.n}" data-passed="${r.passed}">` +
      `<td>${cfg(r.cfg)}</td><td>${esc(D.scorers[r.scorer])}</td><td>${D.conditions[r.cond]}</td><td>${r.verdicts}</td><td>${r.n}</td><td>${r.passed}</td><td>${rate(r.n ? r.passed / r.n : null)}</td></tr>`);
    const deltas = s.deltas.map((d) => `<tr data-kind="delta" data-configuration="${cfg(d.cfg)}" data-scorer="${esc(D.scorers[d.scorer])}" data-n-tasks="${d.tasks}" data-value="${d.delta}"><td>${cfg(d.cfg)}</td><td>${esc(D.scorers[d.scorer])}</td><td>${d.tasks}</td><td>${signed(d.delta)}</td></tr>`);
    const lifts = s.lifts.map((l) => `<tr data-kind="lift" data-student="${esc(l.student)}" data-recipe="${esc(l.recipe)}" data-scorer="${esc(D.scorers[l.scorer])}" data-n-tasks="${l.tasks}" data-value="${l.lift}"><td>${esc(l.size)} (${esc(l.student)})</td><td>${esc(l.recipe)}</td><td>${esc(D.scorers[l.scorer])}</td><td>${l.tasks}</td><td>${l.seeds}</td><td>${signed(l.lift)}</td></tr>`);
    // Open when short (a number's own rows); a long one would push the episodes out of sight.
    const open = s.rates.length <= 12 ? " open" : "";
    let out = `<details class="stats"${open}><summary>Numbers from these rows (${s.rates.length} pass rates, ${s.deltas.length} Δ, ${s.lifts.length} lifts)</summary><div class="tables">`;
    out += `<table><thead><tr><th>configuration</th><th>scorer</th><th>condition</th><th>verdicts</th><th>decided n</th><th>passed</th><th>pass rate</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
    if (deltas.length) out += `<table><thead><tr><th>configuration</th><th>scorer</th><th>tasks decided under both</th><th>Δ</th></tr></thead><tbody>${deltas.join("")}</tbody></table>`;
    if (lifts.length) out += `<table><thead><tr><th>size</th><th>recipe</th><th>scorer</th><th>tasks</th><th>seeds</th><th>SFT lift</th></tr></thead><tbody>${lifts.join("")}</tbody></table>`;
    return out + "</div></details>";
  }

  function badge(vi, selected) {
    const v = D.verdicts[vi], w = word(v[V.passed]);
    return `<span class="badge ${w}${selected.has(vi) ? "" : " dim"}" title="${esc(D.reasons[v[V.reason]])}">${esc(D.scorers[v[V.scorer]])}: ${w}</span>`;
  }

  // A response as text; an empty one (a model that only emitted whitespace) says so.
  function responseText(ep) {
    if (ep[E.response] === null) return `<p class="missing">response not in episodes.jsonl</p>`;
    if (!ep[E.response].trim()) return `<p class="missing">empty response (${ep[E.ctok]} tokens of whitespace)</p>`;
    return `<pre class="response">${esc(ep[E.response])}</pre>`;
  }

  function messages(index) {
    if (index === null) return "<p class=\"missing\">prompt not in episodes.jsonl</p>";
    return D.prompts[index].map((m) => `<div class="message"><span class="role">${esc(m.role)}</span><pre>${esc(m.content)}</pre></div>`).join("");
  }

  function verdictTable(e, selected) {
    return `<table class="verdicts"><thead><tr><th>scorer</th><th>verdict</th><th>format</th><th>extracted</th><th>reason</th><th>judge output</th></tr></thead><tbody>` +
      verdictsOf[e].map((vi) => {
        const v = D.verdicts[vi], w = word(v[V.passed]);
        const judge = v[V.judge] ? `<details><summary>reply</summary><pre>${esc(v[V.judge])}</pre></details>` : "—";
        return `<tr class="${selected.has(vi) ? "selected" : "other"}" data-verdict="${esc(D.episodes[e][E.id] + "|" + D.scorers[v[V.scorer]])}"><td>${esc(D.scorers[v[V.scorer]])}</td><td class="${w}">${w}</td><td>${v[V.format] ? "ANSWER: line" : "no ANSWER: line"}</td><td>${v[V.extracted] === null ? "—" : esc(v[V.extracted])}</td><td>${esc(D.reasons[v[V.reason]])}</td><td>${judge}</td></tr>`;
      }).join("") + "</tbody></table>";
  }

  function episodeCard(e, selected) {
    const ep = D.episodes[e], task = D.tasks[ep[E.task]];
    const compare = format({ ...parse(""), view: "task", task: [task[0]] });
    const reasoning = ep[E.reasoning] ? `<details open><summary>reasoning trace</summary><pre class="reasoning">${esc(ep[E.reasoning])}</pre></details>` : "";
    const response = responseText(ep);
    const tokens = ep[E.ctok] === null ? "" : ` · ${ep[E.ptok]} + ${ep[E.ctok]} tokens · ${esc(ep[E.finish])}`;
    return `<article class="episode" data-episode="${esc(ep[E.id])}"><header><b>${esc(D.configurations[ep[E.cfg]].name)}</b> · <a href="${compare}" title="this task side by side">${esc(task[0])}</a> (${esc(D.skills[task[1]])}) · ${D.conditions[ep[E.cond]]} · seed ${ep[E.seed]}${tokens} <span class="badges">${verdictsOf[e].map((vi) => badge(vi, selected)).join(" ")}</span></header>` +
      `<details><summary>prompt</summary>${messages(ep[E.prompt])}</details>${reasoning}${response}${verdictTable(e, selected)}</article>`;
  }

  function listView(rows, selected) {
    const episodes = episodesOf(rows);
    const pages = Math.max(1, Math.ceil(episodes.length / D.page_size));
    const page = Math.min(state.page, pages);
    const shown = episodes.slice((page - 1) * D.page_size, page * D.page_size);
    const pager = `<div class="pager"><button data-page="${page - 1}"${page <= 1 ? " disabled" : ""}>← previous</button> page <span id="page">${page}</span> of <span id="pages">${pages}</span> <button data-page="${page + 1}" id="next"${page >= pages ? " disabled" : ""}>next →</button></div>`;
    return `<p class="count" id="count" data-episodes="${episodes.length}" data-verdicts="${rows.length}">${episodes.length} episodes, ${rows.length} verdicts selected (of ${D.episodes.length} episodes, ${D.verdicts.length} verdicts)</p>` +
      statsTable(stats(rows)) + pager + shown.map((e) => episodeCard(e, selected)).join("") + (shown.length ? pager : "<p>No episode matches these filters.</p>");
  }

  function taskView(rows, selected) {
    const taskId = state.task[0];
    const t = taskIndex.get(taskId);
    if (t === undefined) return `<p>No task ${esc(taskId || "")}: give one with task=…</p>`;
    const cfgs = new Set(state.configuration.map((c) => cfgIndex.get(c)));
    const cell = new Map();
    D.episodes.forEach((ep, e) => {
      if (ep[E.task] !== t || (cfgs.size && !cfgs.has(ep[E.cfg]))) return;
      const key = ep[E.cfg] + "|" + ep[E.cond];
      if (!cell.has(key)) cell.set(key, []);
      cell.get(key).push(e);
    });
    const prompts = D.conditions.map((c, ci) => {
      const e = [...cell.entries()].find(([k]) => k.endsWith("|" + ci));
      return `<details><summary>${c} prompt</summary>${e ? messages(D.episodes[e[1][0]][E.prompt]) : "—"}</details>`;
    }).join("");
    const students = [...new Set(D.configurations.map((c) => c.student))];
    let grid = "";
    for (const student of students) {
      const own = D.configurations.map((c, i) => i).filter((i) => D.configurations[i].student === student && D.conditions.some((_, ci) => cell.has(i + "|" + ci)));
      if (!own.length) continue;
      grid += `<h3>${esc(student)} (${esc(D.configurations[own[0]].size)})</h3><table class="side"><thead><tr><th></th>${D.conditions.map((c) => `<th>${c}</th>`).join("")}</tr></thead><tbody>`;
      for (const i of own) {
        grid += `<tr><th>${esc(D.configurations[i].name)}</th>` + D.conditions.map((_, ci) => `<td>${(cell.get(i + "|" + ci) || []).map((e) => {
          const ep = D.episodes[e];
          const body = responseText(ep);
          const reasoning = ep[E.reasoning] ? `<details><summary>reasoning trace</summary><pre class="reasoning">${esc(ep[E.reasoning])}</pre></details>` : "";
          return `<div class="cell" data-episode="${esc(ep[E.id])}"><div class="badges">seed ${ep[E.seed]} ${verdictsOf[e].map((vi) => badge(vi, selected)).join(" ")}</div>${reasoning}${body}</div>`;
        }).join("") || "—"}</td>`).join("") + "</tr>";
      }
      grid += "</tbody></table>";
    }
    const back = format({ ...state, view: "list", task: [] });
    return `<p><a href="${back}">← back to the list</a></p><h2>Task ${esc(taskId)} (${esc(D.skills[D.tasks[t][1]])})</h2>${prompts}${grid}`;
  }

  function render() {
    const started = performance.now();
    state = parse(location.hash);
    const rows = select(state);
    const selected = new Set(rows);
    app.innerHTML = filters() + (state.view === "task" ? taskView(rows, selected) : listView(rows, selected));
    document.body.dataset.renderMs = (performance.now() - started).toFixed(1);
    document.body.dataset.ready = "1";
  }

  app.addEventListener("click", (event) => {
    const target = event.target;
    if (target.matches("button.chip")) {
      const key = target.dataset.key, value = target.dataset.value;
      const values = state[key].includes(value) ? state[key].filter((x) => x !== value) : [...state[key], value];
      go({ [key]: values });
    } else if (target.matches("button[data-page]")) {
      go({ page: parseInt(target.dataset.page, 10) });
    }
  });
  app.addEventListener("change", (event) => {
    const target = event.target;
    if (target.id === "skill") go({ skill: target.value ? [target.value] : [] });
    else if (target.id === "task") go({ task: target.value.split(",").map((x) => x.trim()).filter(Boolean) });
    else if (target.id === "paired") go({ paired: target.checked });
  });
  window.addEventListener("hashchange", render);
  render();
  document.body.dataset.loadMs = performance.now().toFixed(1);
})();
