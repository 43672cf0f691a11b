// The calls page's static markup (the page's HTML is its empty <main>): the tabs, the live
// table, the log filters, table and pager, and the Transfer dialog. Only fixed text goes
// through markup(); every string from the API is set with textContent by the page's code.
export function markup(html) {
  const t = document.createElement('template');
  t.innerHTML = html;
  return t.content;
}

const MAIN = `
  <div class="page__head">
    <div>
      <h1>Calls</h1>
      <p class="muted">The calls in progress and waiting, live; the call records of the calls that ended.</p>
    </div>
  </div>

  <div id="page-alert" class="alert alert--error" role="alert" hidden></div>
  <div id="page-notice" class="alert alert--success" role="status" hidden></div>

  <div class="tabs" role="tablist" aria-label="Calls">
    <button id="tab-live" class="tabs__tab" type="button" role="tab" aria-controls="panel-live" aria-selected="true">Live calls</button>
    <button id="tab-logs" class="tabs__tab" type="button" role="tab" aria-controls="panel-logs" aria-selected="false" tabindex="-1">Call logs</button>
  </div>

  <section id="panel-live" role="tabpanel" aria-labelledby="tab-live">
    <p class="muted">Updated from the event stream as calls start, move and end. <span id="live-count" aria-live="polite"></span></p>
    <div class="table-wrap">
      <table class="table" id="live-table">
        <caption class="visually-hidden">Calls in progress and waiting</caption>
        <thead><tr><th scope="col">Caller</th><th scope="col">Called</th><th scope="col">Where</th>
          <th scope="col">Status</th><th scope="col">Agent</th><th scope="col">Time</th>
          <th scope="col" class="col-actions"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody id="live-rows"><tr class="table__placeholder"><td colspan="7">Loading calls…</td></tr></tbody>
      </table>
    </div>
  </section>

  <section id="panel-logs" role="tabpanel" aria-labelledby="tab-logs" hidden>
    <form id="log-filters" class="filters" novalidate>
      <div class="field"><label for="f-start">From <span class="muted">(UTC day)</span></label><input id="f-start" name="start" type="date"></div>
      <div class="field"><label for="f-end">To <span class="muted">(included)</span></label><input id="f-end" name="end" type="date"></div>
      <div class="field"><label for="f-direction">Direction</label>
        <select id="f-direction" name="direction"><option value="">Any</option><option value="inbound">Inbound</option>
          <option value="outbound">Outbound</option><option value="internal">Internal</option></select></div>
      <div class="field"><label for="f-disposition">Outcome</label>
        <select id="f-disposition" name="disposition"><option value="">Any</option></select></div>
      <div class="field"><label for="f-queue_id">Queue</label><select id="f-queue_id" name="queue_id"><option value="">Any</option></select></div>
      <div class="field" id="field-user"><label for="f-user_id">Agent</label><select id="f-user_id" name="user_id"><option value="">Any</option></select></div>
      <div class="field" id="field-did"><label for="f-did_id">Number called (DID)</label><select id="f-did_id" name="did_id"><option value="">Any</option></select></div>
      <div class="field"><label for="f-caller">Caller number <span class="muted">(exact)</span></label><input id="f-caller" name="caller" type="text" spellcheck="false" placeholder="+15550100001"></div>
      <div class="field"><label for="f-called">Called number <span class="muted">(exact)</span></label><input id="f-called" name="called" type="text" spellcheck="false"></div>
      <div class="field"><label for="f-tag">Tag</label><input id="f-tag" name="tag" type="text" list="tag-options" spellcheck="false"><datalist id="tag-options"></datalist></div>
      <div class="field"><label for="f-sort">Sort by</label>
        <select id="f-sort" name="sort"><option value="">Newest first</option><option value="start_time">Start time</option>
          <option value="duration">Duration</option><option value="billsec">Talk time</option><option value="wait_time">Wait</option></select></div>
      <div class="field"><label for="f-order">Order</label>
        <select id="f-order" name="order"><option value="desc">Descending</option><option value="asc">Ascending</option></select></div>
      <div class="field"><label for="f-page_size">Per page</label>
        <select id="f-page_size" name="page_size"><option>20</option><option>50</option><option>100</option><option>200</option></select></div>
      <div class="filters__actions">
        <button id="log-apply" class="btn btn--primary" type="submit">Apply</button>
        <button id="log-reset" class="btn" type="button">Reset</button>
        <button id="export-csv" class="btn" type="button">Export CSV</button>
        <span id="export-state" class="muted" role="status" aria-live="polite"></span>
        <a id="export-link" class="btn btn--ghost btn--small" hidden>Save the CSV again</a>
      </div>
    </form>
    <div id="log-alert" class="alert alert--error" role="alert" hidden></div>
    <p id="log-summary" class="muted" aria-live="polite"></p>
    <div class="table-wrap">
      <table class="table" id="log-table">
        <caption class="visually-hidden">Call records</caption>
        <thead><tr><th scope="col">Start</th><th scope="col">Caller</th><th scope="col">Called</th><th scope="col">Direction</th>
          <th scope="col">Queue</th><th scope="col">Agent</th><th scope="col">Outcome</th><th scope="col">Wait</th>
          <th scope="col">Talk</th></tr></thead>
        <tbody id="log-rows"><tr class="table__placeholder"><td colspan="9">Loading call records…</td></tr></tbody>
      </table>
    </div>
    <nav class="pager" id="log-pager" aria-label="Pages of call records">
      <button id="log-first" class="btn btn--small" type="button">First</button>
      <button id="log-prev" class="btn btn--small" type="button">Previous</button>
      <span id="log-info" class="pager__info"></span>
      <button id="log-next" class="btn btn--small" type="button">Next</button>
    </nav>
  </section>

`;

const DIALOG = `
<dialog id="transfer-dialog" class="dialog" aria-labelledby="transfer-title">
  <form id="transfer-form" class="dialog__body" novalidate>
    <header class="dialog__header">
      <h2 id="transfer-title">Transfer the call</h2>
      <button class="btn btn--icon" type="button" data-close aria-label="Close">×</button>
    </header>
    <p id="transfer-who" class="muted"></p>
    <div id="transfer-alert" class="alert alert--error" role="alert" hidden></div>
    <fieldset class="field" id="transfer-kinds">
      <legend>Transfer to</legend>
      <label class="choice" id="kind-department-choice"><input type="radio" name="kind" value="department" id="kind-department"> A department <span class="muted">(its first free agent takes it)</span></label>
      <label class="choice" id="kind-queue-choice"><input type="radio" name="kind" value="queue" id="kind-queue"> A queue <span class="muted">(the caller waits there for its agents)</span></label>
    </fieldset>
    <div id="transfer-department-fields">
      <div class="field"><label for="transfer-department">Department</label><select id="transfer-department" aria-describedby="transfer-department-hint"></select>
        <p id="transfer-department-hint" class="field__hint">The API picks the agent: the department's available agent with the lowest priority, then the fewest calls; with nobody free the transfer waits.</p></div>
      <div class="field"><label for="transfer-type">Type</label>
        <select id="transfer-type"><option value="warm">Warm (the agent is briefed first)</option><option value="cold">Cold</option><option value="blind">Blind (no introduction)</option></select></div>
      <div class="field"><label for="transfer-urgency">Urgency</label>
        <select id="transfer-urgency"><option value="">Normal</option><option value="low">Low</option><option value="high">High</option><option value="critical">Critical</option></select></div>
      <div class="field"><label for="transfer-reason">Reason</label><input id="transfer-reason" type="text" maxlength="255"></div>
      <div class="field"><label for="transfer-summary">Summary for the agent</label><textarea id="transfer-summary" rows="3"></textarea></div>
    </div>
    <div id="transfer-queue-fields">
      <div class="field"><label for="transfer-queue">Queue</label><select id="transfer-queue"></select>
        <p class="field__hint">This leg ends (its agent goes to wrap-up) and the caller enters the queue.</p></div>
    </div>
    <footer class="dialog__footer">
      <button class="btn" type="button" data-close>Cancel</button>
      <button id="transfer-submit" class="btn btn--primary" type="submit">Transfer</button>
    </footer>
  </form>
</dialog>
`;

export function drawCallsPage() {
  document.getElementById('main').replaceChildren(markup(MAIN));
  document.body.append(markup(DIALOG));
}
