// Loaded first thing in <body>, before the header is drawn: the header's menus and the phone's
// drawer take their scripted form at once, never flashing their no-script layout (base.html).
document.body.classList.remove("portal-no-js");
