-- Dial a number through callctl. Run: osascript applescript/make-call.applescript 020123456
-- Without a number (Script menu, Shortcuts) it asks for one.
on run argv
	if (count of argv) > 0 then
		set phoneNumber to item 1 of argv
	else
		set phoneNumber to text returned of (display dialog "Number to call:" default answer "" buttons {"Cancel", "Call"} default button "Call" with title "callctl")
	end if
	set here to POSIX path of ((path to me as text) & "::")
	return run script (POSIX file (here & "CallControl.applescript")) with parameters {"make", phoneNumber}
end run
