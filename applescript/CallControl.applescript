-- callctl call control for AppleScript: make, answer, end, hold, resume, transfer and reject calls, send DTMF and
-- mute, through the local callctl listener.
--
-- As a library: save a compiled copy as ~/Library/Script Libraries/CallControl.scpt, then
--     use CallControl : script "CallControl"
--     CallControl's makeCall("020 123 456")
-- From the ready-to-run scripts beside this file (make-call, answer-call, end-call): they run this file with
-- parameters {"make", number}, {"answer"}, {"end"} or {"status"}.
--
-- Settings: read from callctl's own config (the file `callctl config path` prints; CALLCTL_CONFIG_DIR moves it), as
-- `callctl make` reads them: the listener's port and host, its token and the command segments (`commands.make`, ...).
-- Set listenerPort or listenerToken here only to talk to another listener than the configured one.

property defaultPort : 5678
-- 0: the port in callctl's config, else defaultPort.
property listenerPort : 0
-- "": security.token in callctl's config, if any.
property listenerToken : ""
-- Seconds to wait for the listener before giving up.
property requestTimeout : 5

on makeCall(phoneNumber)
	return callListener(commandSegment("make") & "/" & encodeNumber(phoneNumber), "POST")
end makeCall

on answerCall()
	return callListener(commandSegment("answer"), "POST")
end answerCall

on endCall()
	return callListener(commandSegment("end"), "POST")
end endCall

-- The in-call actions act on the current call; their ...ById forms on the call with that id (see callStatus).
on holdCall()
	return callListener(commandSegment("hold"), "POST")
end holdCall

on resumeCall()
	return callListener(commandSegment("resume"), "POST")
end resumeCall

on resumeCallById(callId)
	return callListener(commandSegment("resume") & "?call=" & encodeNumber(callId), "POST")
end resumeCallById

on transferCall(phoneNumber)
	return callListener(commandSegment("transfer") & "/" & encodeNumber(phoneNumber), "POST")
end transferCall

on sendDtmf(digits)
	return callListener(commandSegment("dtmf") & "/" & encodeNumber(digits), "POST")
end sendDtmf

on muteCall()
	return callListener(commandSegment("mute"), "POST")
end muteCall

on unmuteCall()
	return callListener(commandSegment("unmute"), "POST")
end unmuteCall

on rejectCall()
	return callListener(commandSegment("reject"), "POST")
end rejectCall

on callStatus()
	return callListener("/status", "GET")
end callStatus

-- The config file callctl reads: CALLCTL_CONFIG_DIR, else ~/Library/Preferences/callctl.
on configFile()
	set configDir to system attribute "CALLCTL_CONFIG_DIR"
	if configDir is "" then set configDir to (POSIX path of (path to home folder)) & "Library/Preferences/callctl"
	return configDir & "/config.json"
end configFile

-- One setting of callctl's config by its dotted key (plutil reads JSON), or "" when it is not set or there is no file.
on configValue(keyPath)
	try
		return do shell script "/usr/bin/plutil -extract " & quoted form of keyPath & " raw -o - " & quoted form of configFile()
	on error
		return ""
	end try
end configValue

-- "/make", or the segment the user chose with `callctl config set commands.make ...`.
on commandSegment(commandName)
	set segment to configValue("commands." & commandName)
	if segment is "" then set segment to commandName
	return "/" & encodeNumber(segment)
end commandSegment

on effectivePort()
	if listenerPort is not 0 then return listenerPort
	set configured to configValue("port")
	if configured is "" then return defaultPort
	return configured as integer
end effectivePort

on effectiveToken()
	if listenerToken is not "" then return listenerToken
	return configValue("security.token")
end effectiveToken

on effectiveHost()
	set configured to configValue("host")
	if configured is "" or configured is "0.0.0.0" then return "127.0.0.1"
	if configured is "::" then return "[::1]"
	if configured contains ":" then return "[" & configured & "]"
	return configured
end effectiveHost

-- Runs curl (it ships with macOS) with every value quoted for the shell; returns the listener's JSON answer.
on callListener(routePath, httpMethod)
	set thePort to effectivePort()
	set theToken to effectiveToken()
	set requestUrl to "http://" & effectiveHost() & ":" & (thePort as text) & routePath
	set command to "curl -sS --max-time " & requestTimeout & " -w '\\n%{http_code}' -X " & httpMethod
	if theToken is not "" then set command to command & " -H " & quoted form of ("Authorization: Bearer " & theToken)
	set command to command & " " & quoted form of requestUrl
	try
		set answer to do shell script command
	on error errorText number errorNumber
		if errorNumber is 7 then
			reportProblem("callctl is not running on port " & thePort & ". Start it with: callctl listen")
		else
			reportProblem("callctl did not answer on port " & thePort & ": " & errorText)
		end if
	end try
	set statusCode to last paragraph of answer
	set body to text 1 thru -((length of statusCode) + 2) of answer
	if statusCode does not start with "2" then reportProblem("callctl refused: " & errorMessage(body) & " (HTTP " & statusCode & ")")
	return body
end callListener

-- The "message" of a JSON error answer, without a JSON parser.
on errorMessage(body)
	set marker to "\"message\":\""
	if body does not contain marker then return body
	set oldDelimiters to AppleScript's text item delimiters
	set AppleScript's text item delimiters to marker
	set rest to text item 2 of body
	set AppleScript's text item delimiters to "\""
	set message to text item 1 of rest
	set AppleScript's text item delimiters to oldDelimiters
	return message
end errorMessage

-- Percent-encodes everything but letters and digits, as UTF-8: "+31 20" becomes "%2B31%2020", a pasted en dash
-- "%E2%80%93" (the listener ignores spaces and dashes, whichever kind).
on encodeNumber(phoneNumber)
	set safe to "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	set encoded to ""
	repeat with character in (characters of (phoneNumber as text))
		set c to contents of character
		if safe contains c then
			set encoded to encoded & c
		else
			repeat with byteValue in utf8Bytes(id of c)
				set encoded to encoded & "%" & hexByte(contents of byteValue)
			end repeat
		end if
	end repeat
	return encoded
end encodeNumber

on utf8Bytes(codePoint)
	if codePoint < 128 then return {codePoint}
	if codePoint < 2048 then return {192 + codePoint div 64, 128 + codePoint mod 64}
	if codePoint < 65536 then return {224 + codePoint div 4096, 128 + (codePoint div 64) mod 64, 128 + codePoint mod 64}
	return {240 + codePoint div 262144, 128 + (codePoint div 4096) mod 64, 128 + (codePoint div 64) mod 64, 128 + codePoint mod 64}
end utf8Bytes

on hexByte(value)
	set digits to "0123456789ABCDEF"
	return (character ((value div 16) + 1) of digits) & (character ((value mod 16) + 1) of digits)
end hexByte

-- A dialog for people (Script menu, Shortcuts), an error for osascript and other scripts.
on reportProblem(message)
	if name of current application is not "osascript" then
		display dialog message buttons {"OK"} default button 1 with title "callctl" with icon caution
	end if
	error message number 1
end reportProblem

on run argv
	set action to item 1 of argv
	if action is "make" then return makeCall(item 2 of argv)
	if action is "answer" then return answerCall()
	if action is "end" then return endCall()
	if action is "status" then return callStatus()
	if action is "hold" then return holdCall()
	if action is "resume" then return resumeCall()
	if action is "transfer" then return transferCall(item 2 of argv)
	if action is "dtmf" then return sendDtmf(item 2 of argv)
	if action is "mute" then return muteCall()
	if action is "unmute" then return unmuteCall()
	if action is "reject" then return rejectCall()
	error "Unknown action " & action & ": use make, answer, end, status, hold, resume, transfer, dtmf, mute, unmute or reject" number 2
end run
