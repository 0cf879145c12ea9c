// A confirmation in the page's <dialog id="confirm-dialog"> (modal, keyboard-operable,
// focus returns where it was). Resolves true when the person confirms.
export function confirmDialog({title, text, action = "Delete"}) {
  const dialog = document.getElementById("confirm-dialog");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  const ok = document.getElementById("confirm-ok");
  ok.textContent = action;
  const previous = document.activeElement;
  return new Promise((resolve) => {
    dialog.returnValue = "cancel";
    const onClose = () => {
      dialog.removeEventListener("close", onClose);
      if (previous && previous.isConnected) previous.focus();
      resolve(dialog.returnValue === "ok");
    };
    dialog.addEventListener("close", onClose);
    dialog.showModal();
    dialog.querySelector("button[value=cancel]").focus();
  });
}
