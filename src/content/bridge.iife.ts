/**
 * Content script (isolated world). For now it only announces that the extension is present;
 * the page API bridge (Comlink over a MessageChannel) arrives with the extension issue.
 */
document.documentElement.dataset.reliableChannel = "present";
