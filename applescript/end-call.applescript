-- End the current call through callctl. Run: osascript applescript/end-call.applescript
on run argv
	set here to POSIX path of ((path to me as text) & "::")
	return run script (POSIX file (here & "CallControl.applescript")) with parameters {"end"}
end run
