// Sign-in page: POST /api/auth/login, store the session, go to the wallboard (staff) or
// the agent's desk.
import { api, getUser, isSignedIn, saveSession } from './api.js';

const STAFF = new Set(['super_admin', 'admin', 'manager', 'supervisor']);

function nextPage() {
  const user = getUser();
  return user && STAFF.has(user.role) ? 'wallboard.html' : 'agent.html';
}

if (isSignedIn()) {
  window.location.replace(nextPage());
} else {
  init();
}

function init() {
  const form = document.getElementById('login-form');
  const submit = document.getElementById('login-submit');
  const alertBox = document.getElementById('form-alert');
  const notice = document.getElementById('form-notice');
  const tenantField = document.getElementById('tenant-field');
  const inputs = {
    email: document.getElementById('email'),
    password: document.getElementById('password'),
    tenant: document.getElementById('tenant'),
  };

  const reason = new URLSearchParams(window.location.search).get('reason');
  if (reason === 'expired') {
    showBox(notice, 'Your session has ended. Please sign in again.');
  }

  function showBox(box, text) {
    box.textContent = text;
    box.hidden = !text;
  }

  function setFieldError(name, message) {
    const input = inputs[name];
    const el = document.getElementById(`${name}-error`);
    if (!input || !el) return false;
    el.textContent = message || '';
    el.hidden = !message;
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
    return true;
  }

  function clearErrors() {
    Object.keys(inputs).forEach((name) => setFieldError(name, ''));
    showBox(alertBox, '');
  }

  function showTenantField() {
    tenantField.hidden = false;
    inputs.tenant.required = true;
  }

  function validate(values) {
    const errors = {};
    if (!values.email) errors.email = 'Enter your email address.';
    else if (!/^[^\s@]+@[^\s@]+$/.test(values.email)) errors.email = 'Enter an email address like name@example.com.';
    if (!values.password) errors.password = 'Enter your password.';
    if (!tenantField.hidden && !values.tenant) errors.tenant = 'Enter the organization to sign in to.';
    return errors;
  }

  function focusFirstInvalid() {
    const first = form.querySelector('[aria-invalid="true"]');
    if (first) first.focus();
  }

  let busy = false;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;
    clearErrors();
    showBox(notice, '');

    const values = {
      email: inputs.email.value.trim(),
      password: inputs.password.value,
      tenant: inputs.tenant.value.trim(),
    };
    const errors = validate(values);
    if (Object.keys(errors).length) {
      Object.entries(errors).forEach(([name, msg]) => setFieldError(name, msg));
      focusFirstInvalid();
      return;
    }

    const body = { email: values.email, password: values.password };
    if (!tenantField.hidden && values.tenant) body.tenant = values.tenant;

    busy = true;
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    form.setAttribute('aria-busy', 'true');
    try {
      const session = await api('POST', '/auth/login', body, { auth: false });
      saveSession(session);
      window.location.replace(nextPage());
      return;
    } catch (err) {
      handleError(err);
    } finally {
      busy = false;
      submit.disabled = false;
      submit.textContent = 'Sign in';
      form.removeAttribute('aria-busy');
    }
  });

  function handleError(err) {
    const fields = err.fields || {};
    if (err.status === 422) {
      let shown = false;
      const extra = [];
      for (const [name, msg] of Object.entries(fields)) {
        const text = typeof msg === 'string' ? msg : JSON.stringify(msg);
        if (name === 'tenant' || name === 'tenant_id') {
          showTenantField();
          shown = setFieldError('tenant', text) || shown;
        } else if (!setFieldError(name, text)) {
          extra.push(`${name}: ${text}`);
        } else {
          shown = true;
        }
      }
      if (!shown || extra.length) {
        showBox(alertBox, [err.message, ...extra].join(' '));
      }
      focusFirstInvalid();
      return;
    }
    if (err.status === 401) {
      showBox(alertBox, err.message || 'Incorrect email or password.');
      inputs.password.select();
      inputs.password.focus();
      return;
    }
    if (err.status === 429) {
      showBox(alertBox, 'Too many sign-in attempts. Wait a moment, then try again.');
      return;
    }
    showBox(alertBox, err.message || 'Sign-in failed. Try again.');
  }
}
