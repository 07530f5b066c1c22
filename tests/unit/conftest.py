"""Settings of the unit tests."""

# a script run by hand (it probes every public function; see its docstring), not a test module:
# importing it would build its probes and change the process's settings
collect_ignore = ["probe_dlimits.py"]
