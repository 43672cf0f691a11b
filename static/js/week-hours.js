// A schedule's weekly hours as a form, for resource-page.js (a field's `widget`): each day
// open or closed with one or more opening ranges, or always open (the API's null). A close
// before the open runs overnight, as the API reads it, so closing at midnight is 00:00 (the
// API's 24:00 is shown so: a time input has no 24:00).
import { el } from './shell.js';

const DAYS = [['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'],
  ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday']];

function rangeRow(day, range) {
  const open = el('input', { attrs: { type: 'time', value: range.open, 'aria-label': `${day[1]} opens`, 'data-open': '' } });
  const close = el('input', { attrs: { type: 'time', value: range.close === '24:00' ? '00:00' : range.close, 'aria-label': `${day[1]} closes`, 'data-close': '' } });
  const remove = el('button', { className: 'btn btn--icon btn--small', text: '×', attrs: { type: 'button', 'aria-label': `Remove these ${day[1]} hours` } });
  const row = el('span', { className: 'week__range' }, [open, ' – ', close, remove]);
  remove.addEventListener('click', () => row.remove());
  return row;
}

function dayRow(day) {
  const openBox = el('input', { attrs: { type: 'checkbox', id: `wh-${day[0]}`, 'data-day': day[0] } });
  const ranges = el('span', { className: 'week__ranges', attrs: { id: `wh-${day[0]}-ranges` } });
  const add = el('button', { className: 'btn btn--small', text: 'Add hours', attrs: { type: 'button', 'aria-label': `Add ${day[1]} hours` } });
  add.addEventListener('click', () => ranges.append(rangeRow(day, { open: '09:00', close: '17:00' })));
  const sync = () => { ranges.hidden = !openBox.checked; add.hidden = !openBox.checked; };
  openBox.addEventListener('change', () => {
    if (openBox.checked && !ranges.children.length) ranges.append(rangeRow(day, { open: '09:00', close: '17:00' }));
    sync();
  });
  const row = el('div', { className: 'week__day' }, [openBox, el('label', { text: day[1], attrs: { for: `wh-${day[0]}` } }), ranges, add]);
  row.sync = sync;
  return row;
}

export const weekHours = {
  draw(id) {
    const always = el('input', { attrs: { type: 'checkbox', id: `${id}-always` } });
    const days = el('div', { className: 'week__days' }, DAYS.map(dayRow));
    always.addEventListener('change', () => { days.hidden = always.checked; });
    return el('div', { className: 'week', attrs: { id, role: 'group', tabindex: '-1' } }, [
      el('div', {}, [always, el('label', { text: ' Always open (24/7)', attrs: { for: `${id}-always` } })]), days]);
  },
  fill(box, hours) {
    const always = box.querySelector(`#${box.id}-always`);
    always.checked = hours === null;
    box.querySelector('.week__days').hidden = always.checked;
    for (const day of DAYS) {
      const list = hours && Array.isArray(hours[day[0]]) ? hours[day[0]] : [];
      box.querySelector(`#wh-${day[0]}`).checked = list.length > 0;
      box.querySelector(`#wh-${day[0]}-ranges`).replaceChildren(...list.map((r) => rangeRow(day, r)));
      box.querySelector(`#wh-${day[0]}`).closest('.week__day').sync();
    }
  },
  read(box) {
    if (box.querySelector(`#${box.id}-always`).checked) return null;
    const hours = {};
    for (const [key] of DAYS) {
      if (!box.querySelector(`#wh-${key}`).checked) continue;
      hours[key] = [...box.querySelectorAll(`#wh-${key}-ranges .week__range`)].map((r) => {
        return { open: r.querySelector('[data-open]').value, close: r.querySelector('[data-close]').value };
      });
    }
    return hours;
  },
};
