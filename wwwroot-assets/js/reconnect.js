// Buttons of the reconnect dialog (Components/Layout/ReconnectModal.razor). Wired here because the CSP forbids inline handlers.
document.addEventListener('click', async (event) => {
  const id = event.target && event.target.id;
  if (id === 'components-reconnect-retry') {
    try {
      const ok = await Blazor.reconnect();
      if (!ok) location.reload();
    } catch {
      location.reload();
    }
  } else if (id === 'components-reconnect-reload') {
    location.reload();
  }
});
