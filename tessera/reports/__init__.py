"""Reports and dashboards, computed from the issues' change history so that they are true for
any past date: sprint burndown and burnup, velocity with a forecast, lead and cycle time,
cumulative flow, created vs resolved, control chart and time in status; each as JSON, CSV and
SVG. Dashboards are layouts of gadgets computed for the viewer and cached until the next
committed event of the organization.

No web framework in here: the transports (tessera/api/rest/routers/reports.py and
dashboards.py) parse requests and pick the format."""
