"""The dashboard's pure logic (formatting, KPI arithmetic) and its data access (``data``)."""
