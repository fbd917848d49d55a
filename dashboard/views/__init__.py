"""What each page shows, computed from the marts once per filter choice and cached
(``ui.page_cache``); the page scripts in ``app_pages/`` only draw it. The computing lives here, in
modules imported once, because a page script runs again on every rerun and re-creating a cached
function there costs a read of its source each time."""
