// The call page's static markup (the page's HTML is its empty <main>): the record, the
// timeline, transfers, quality, recording, tags and notes panels. Only fixed text goes
// through markup(); every string from the API is set with textContent by the page's code.
import { markup } from './calls-view.js';

const MAIN = `
  <p><a href="calls.html#logs">← Calls</a></p>
  <div class="page__head">
    <div>
      <h1 id="call-title">Call</h1>
      <p id="call-sub" class="muted"></p>
    </div>
  </div>

  <div id="page-alert" class="alert alert--error" role="alert" hidden></div>

  <div class="columns">
    <section class="panel" aria-labelledby="fields-title">
      <h2 id="fields-title">Record</h2>
      <p id="fields-note" class="muted" hidden></p>
      <dl id="call-fields" class="fields-grid"></dl>
    </section>
    <section class="panel" aria-labelledby="timeline-title">
      <h2 id="timeline-title">Timeline</h2>
      <p id="timeline-note" class="muted"></p>
      <ol id="timeline" class="timeline"></ol>
    </section>
  </div>

  <section class="panel" aria-labelledby="transfers-title">
    <h2 id="transfers-title">Transfers</h2>
    <div class="table-wrap">
      <table class="table" id="transfer-table">
        <caption class="visually-hidden">The call's transfers</caption>
        <thead><tr><th scope="col">When</th><th scope="col">To</th><th scope="col">Agent</th><th scope="col">Type</th>
          <th scope="col">Status</th><th scope="col">Reason</th><th scope="col">Connected</th><th scope="col">Ended</th></tr></thead>
        <tbody id="transfer-rows"><tr class="table__placeholder"><td colspan="8">Loading…</td></tr></tbody>
      </table>
    </div>
  </section>

  <section class="panel" aria-labelledby="quality-title">
    <h2 id="quality-title">Quality</h2>
    <p id="quality-note" class="muted"></p>
    <div class="chart-box" id="quality-box" hidden><canvas id="quality-chart" role="img" aria-label="MOS, jitter, latency and packet loss over the call"></canvas></div>
  </section>

  <div class="columns">
    <section class="panel" aria-labelledby="recording-title">
      <h2 id="recording-title">Recording</h2>
      <p id="recording-note" class="muted">Loading…</p>
      <div id="recording-box" hidden>
        <audio id="recording-audio" controls preload="metadata"></audio>
        <p id="recording-meta" class="muted"></p>
        <button id="recording-download" class="btn btn--small" type="button">Download</button>
        <a id="recording-link" hidden></a>
      </div>
    </section>
    <section class="panel" aria-labelledby="tags-title">
      <h2 id="tags-title">Tags</h2>
      <div id="tag-alert" class="alert alert--error" role="alert" hidden></div>
      <p id="tag-note" class="muted"></p>
      <ul id="tag-list" class="chips" aria-label="Tags of this call"></ul>
      <form id="tag-form" class="inline-form" hidden>
        <label for="tag-input">Add a tag</label>
        <input id="tag-input" type="text" maxlength="64" list="tag-options" spellcheck="false" required>
        <datalist id="tag-options"></datalist>
        <button id="tag-add" class="btn btn--primary btn--small" type="submit">Add</button>
      </form>
    </section>
  </div>

  <section class="panel" aria-labelledby="notes-title">
    <h2 id="notes-title">Notes</h2>
    <div id="notes-alert" class="alert alert--error" role="alert" hidden></div>
    <p id="notes-note" class="muted"></p>
    <form id="notes-form" hidden>
      <label class="visually-hidden" for="notes-text">Notes</label>
      <textarea id="notes-text" rows="4" maxlength="10000"></textarea>
      <p><button id="notes-save" class="btn btn--primary btn--small" type="submit">Save notes</button> <span id="notes-state" class="muted" role="status"></span></p>
    </form>
  </section>

`;

export function drawCallPage() {
  document.getElementById('main').replaceChildren(markup(MAIN));
}
