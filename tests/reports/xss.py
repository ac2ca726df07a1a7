"""Prints markup and script, hoping a report renders it."""

print("<script>document.title = 'pwned'; document.body.innerHTML = 'pwned';</script>")
print('<img src="x" onerror="document.title=\'pwned\'"><b>bold</b></pre><h1>FAKE 100/100</h1>')
