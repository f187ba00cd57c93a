"""Git hosts in: connections, each host's signature and payloads, issue keys, smart commits,
pull-request rules, and the git sections of an issue's development panel."""
