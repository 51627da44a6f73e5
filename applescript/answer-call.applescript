-- Answer the ringing call through callctl. Run: osascript applescript/answer-call.applescript
on run argv
	set here to POSIX path of ((path to me as text) & "::")
	return run script (POSIX file (here & "CallControl.applescript")) with parameters {"answer"}
end run
