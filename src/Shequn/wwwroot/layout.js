// Below MudBlazor's Md breakpoint the drawer lies over the page (MainLayout closes it after navigating).
// A file, not an inline script: the Content-Security-Policy allows scripts from the app's own files only.
window.shequnLayout = { drawerOverlays: () => window.matchMedia('(max-width: 959.98px)').matches };
