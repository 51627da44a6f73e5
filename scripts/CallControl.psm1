# callctl call control for PowerShell (Windows PowerShell 5.1 and PowerShell 7): make, answer, end, hold, resume,
# transfer, reject calls, send DTMF, mute
# through the local callctl listener. Import-Module .\CallControl.psd1, then Get-Help Start-Call -Full.

$script:DefaultPort = 5678

function Invoke-CallctlRequest {
    param(
        [Parameter(Mandatory)][string]$Path,
        [ValidateSet('Get', 'Post')][string]$Method = 'Post',
        [int]$Port = $script:DefaultPort,
        [string]$Token,
        [int]$TimeoutSec = 5
    )
    $uri = "http://127.0.0.1:$Port$Path"
    $headers = @{}
    if ($Token) { $headers['Authorization'] = "Bearer $Token" }
    try {
        Invoke-RestMethod -Method $Method -Uri $uri -Headers $headers -TimeoutSec $TimeoutSec -UseBasicParsing -ErrorAction Stop
    }
    catch {
        $message = $null
        if ($_.ErrorDetails -and $_.ErrorDetails.Message) {
            try { $message = ($_.ErrorDetails.Message | ConvertFrom-Json).error.message } catch { $message = $_.ErrorDetails.Message }
        }
        if ($message) {
            Write-Error -Message "callctl refused: $message" -Category InvalidOperation -ErrorAction Stop
        }
        Write-Error -Message "callctl is not running on port ${Port}: start it with 'callctl listen' ($($_.Exception.Message))" -Category ConnectionError -ErrorAction Stop
    }
}

function Start-Call {
    <#
    .SYNOPSIS
    Dials a number through the callctl listener.
    .DESCRIPTION
    Sends /make/<number> to the callctl listener on this computer. The number may hold digits, a leading +, * and #;
    spaces, dashes, dots and parentheses are ignored.
    .PARAMETER Number
    The number to dial, e.g. "+31 20 123 4567".
    .PARAMETER Port
    The port of `callctl listen` (default 5678).
    .PARAMETER Token
    The listener's token, when one is set (`callctl config get security.token --reveal`).
    .EXAMPLE
    Start-Call -Number 020123456
    .EXAMPLE
    Start-Call "+31 20 123 4567" -Port 5679 -Token $env:CALLCTL_TOKEN
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)][string]$Number,
        [int]$Port = $script:DefaultPort,
        [string]$Token
    )
    (Invoke-CallctlRequest -Path "/make/$([uri]::EscapeDataString($Number))" -Port $Port -Token $Token).call
}

function Confirm-Call {
    <#
    .SYNOPSIS
    Answers the ringing call (the oldest one) through the callctl listener.
    .PARAMETER Port
    The port of `callctl listen` (default 5678).
    .PARAMETER Token
    The listener's token, when one is set.
    .EXAMPLE
    Confirm-Call
    #>
    [CmdletBinding()]
    param([int]$Port = $script:DefaultPort, [string]$Token)
    (Invoke-CallctlRequest -Path '/answer' -Port $Port -Token $Token).call
}

function Stop-Call {
    <#
    .SYNOPSIS
    Ends the current call through the callctl listener.
    .PARAMETER Port
    The port of `callctl listen` (default 5678).
    .PARAMETER Token
    The listener's token, when one is set.
    .EXAMPLE
    Stop-Call
    #>
    [CmdletBinding()]
    param([int]$Port = $script:DefaultPort, [string]$Token)
    (Invoke-CallctlRequest -Path '/end' -Port $Port -Token $Token).call
}

# `?call=<id>` when a call id is given, for the actions that take one.
function Get-CallQuery {
    param([string]$CallId)
    if ($CallId) { return "?call=$([uri]::EscapeDataString($CallId))" }
    return ''
}

function Suspend-Call {
    <#
    .SYNOPSIS
    Puts the current call (or -CallId) on hold through the callctl listener.
    .PARAMETER CallId
    The id of the call to act on (from Get-CallStatus); without it, the current call.
    .PARAMETER Port
    The port of `callctl listen` (default 5678).
    .PARAMETER Token
    The listener's token, when one is set.
    .EXAMPLE
    Suspend-Call
    #>
    [CmdletBinding()]
    param([int]$Port = $script:DefaultPort, [string]$Token, [string]$CallId)
    (Invoke-CallctlRequest -Path "/hold$(Get-CallQuery $CallId)" -Port $Port -Token $Token).call
}

function Resume-Call {
    <#
    .SYNOPSIS
    Takes a held call off hold (the one held last, or -CallId); the call talked on goes on hold, so this swaps calls.
    .PARAMETER CallId
    The id of the call to act on (from Get-CallStatus); without it, the current call.
    .PARAMETER Port
    The port of `callctl listen` (default 5678).
    .PARAMETER Token
    The listener's token, when one is set.
    .EXAMPLE
    Resume-Call -CallId sim-1234
    #>
    [CmdletBinding()]
    param([int]$Port = $script:DefaultPort, [string]$Token, [string]$CallId)
    (Invoke-CallctlRequest -Path "/resume$(Get-CallQuery $CallId)" -Port $Port -Token $Token).call
}

function Move-Call {
    <#
    .SYNOPSIS
    Blind-transfers the current call (or -CallId) to a number through the callctl listener.
    .PARAMETER Number
    The number to transfer the call to.
    .PARAMETER CallId
    The id of the call to act on (from Get-CallStatus); without it, the current call.
    .PARAMETER Port
    The port of `callctl listen` (default 5678).
    .PARAMETER Token
    The listener's token, when one is set.
    .EXAMPLE
    Move-Call -Number 201
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory, Position = 0)][string]$Number, [int]$Port = $script:DefaultPort, [string]$Token, [string]$CallId)
    (Invoke-CallctlRequest -Path "/transfer/$([uri]::EscapeDataString($Number))$(Get-CallQuery $CallId)" -Port $Port -Token $Token).call
}

function Send-CallDtmf {
    <#
    .SYNOPSIS
    Sends DTMF digits (0-9 * # A-D, with , for a pause) on the current call (or -CallId).
    .PARAMETER Digits
    The digits, e.g. "1234#".
    .PARAMETER CallId
    The id of the call to act on (from Get-CallStatus); without it, the current call.
    .PARAMETER Port
    The port of `callctl listen` (default 5678).
    .PARAMETER Token
    The listener's token, when one is set.
    .EXAMPLE
    Send-CallDtmf -Digits "1234#"
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory, Position = 0)][string]$Digits, [int]$Port = $script:DefaultPort, [string]$Token, [string]$CallId)
    (Invoke-CallctlRequest -Path "/dtmf/$([uri]::EscapeDataString($Digits))$(Get-CallQuery $CallId)" -Port $Port -Token $Token).call
}

function Disable-CallMicrophone {
    <#
    .SYNOPSIS
    Mutes your microphone on the current call (or -CallId).
    .PARAMETER CallId
    The id of the call to act on (from Get-CallStatus); without it, the current call.
    .PARAMETER Port
    The port of `callctl listen` (default 5678).
    .PARAMETER Token
    The listener's token, when one is set.
    .EXAMPLE
    Disable-CallMicrophone
    #>
    [CmdletBinding()]
    param([int]$Port = $script:DefaultPort, [string]$Token, [string]$CallId)
    (Invoke-CallctlRequest -Path "/mute$(Get-CallQuery $CallId)" -Port $Port -Token $Token).call
}

function Enable-CallMicrophone {
    <#
    .SYNOPSIS
    Unmutes your microphone on the current call (or -CallId).
    .PARAMETER CallId
    The id of the call to act on (from Get-CallStatus); without it, the current call.
    .PARAMETER Port
    The port of `callctl listen` (default 5678).
    .PARAMETER Token
    The listener's token, when one is set.
    .EXAMPLE
    Enable-CallMicrophone
    #>
    [CmdletBinding()]
    param([int]$Port = $script:DefaultPort, [string]$Token, [string]$CallId)
    (Invoke-CallctlRequest -Path "/unmute$(Get-CallQuery $CallId)" -Port $Port -Token $Token).call
}

function Deny-Call {
    <#
    .SYNOPSIS
    Declines the ringing call (the oldest one, or -CallId): the caller hears busy.
    .PARAMETER CallId
    The id of the call to act on (from Get-CallStatus); without it, the current call.
    .PARAMETER Port
    The port of `callctl listen` (default 5678).
    .PARAMETER Token
    The listener's token, when one is set.
    .EXAMPLE
    Deny-Call
    #>
    [CmdletBinding()]
    param([int]$Port = $script:DefaultPort, [string]$Token, [string]$CallId)
    (Invoke-CallctlRequest -Path "/reject$(Get-CallQuery $CallId)" -Port $Port -Token $Token).call
}

function Get-CallStatus {
    <#
    .SYNOPSIS
    Shows the callctl listener's driver and its live calls.
    .PARAMETER Port
    The port of `callctl listen` (default 5678).
    .PARAMETER Token
    The listener's token, when one is set.
    .EXAMPLE
    (Get-CallStatus).calls
    #>
    [CmdletBinding()]
    param([int]$Port = $script:DefaultPort, [string]$Token)
    Invoke-CallctlRequest -Path '/status' -Method Get -Port $Port -Token $Token
}

Export-ModuleMember -Function @(
    'Start-Call', 'Confirm-Call', 'Stop-Call', 'Get-CallStatus',
    'Suspend-Call', 'Resume-Call', 'Move-Call', 'Send-CallDtmf', 'Disable-CallMicrophone', 'Enable-CallMicrophone', 'Deny-Call'
)
