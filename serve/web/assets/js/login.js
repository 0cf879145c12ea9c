// The login page (/login, with --api_token): posts the token to /login with the cross-site
// header and goes to ?next= (a local path only) or "/". Without scripts the form posts itself.
import {CSRF_HEADER} from "./api.js";

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");

function nextPath() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  // Only a path on this server: "/x", never "//host" or "https://host".
  return /^\/(?![/\\])/.test(next) ? next : "/";
}

// Back from the form's own post (no script ran) with a wrong token.
if (new URLSearchParams(location.search).get("error")) {
  error.textContent = "That token is not correct.";
  error.hidden = false;
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  error.hidden = true;
  const body = new URLSearchParams({token: form.elements.token.value});
  try {
    const response = await fetch("/login", {
      method: "POST", body, credentials: "same-origin",
      headers: Object.assign({"Content-Type": "application/x-www-form-urlencoded"}, CSRF_HEADER),
    });
    // The server redirects a wrong token back to /login?error=token, a right one onwards
    // (with the cookie set).
    const wrong = new URL(response.url, location.href).searchParams.get("error") !== null ||
                  response.status === 401 || response.status === 403;
    if (response.ok && !wrong) {
      location.assign(nextPath());
      return;
    }
    error.textContent = wrong ? "That token is not correct." : "Sign-in failed (HTTP " + response.status + ").";
  } catch (err) {
    error.textContent = "The server could not be reached.";
  }
  error.hidden = false;
  form.elements.token.focus();
});
