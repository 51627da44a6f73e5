# callctl call control for PowerShell (Windows PowerShell 5.1 and PowerShell 7): make, answer, end, hold, resume,
# transfer, reject calls, send DTMF, mute
# through the local callctl listener. Import-Module .\CallControl.psd1, then Get-Help Start-Call -Full.

$script:DefaultPort = 5678
# The listener's commands, each with its URL segment (`commands.<name>` in callctl's config).
$script:Commands = @('Make', 'Answer', 'End', 'Reject', 'Hold', 'Resume', 'Transfer', 'Dtmf', 'Mute', 'Unmute')

# The config file `callctl config path` prints: CALLCTL_CONFIG_DIR, else the per-user folder of this OS.
function Get-CallctlConfigPath {
    if ($env:CALLCTL_CONFIG_DIR) { return (Join-Path $env:CALLCTL_CONFIG_DIR 'config.json') }
    if ($env:OS -eq 'Windows_NT') {
        $dir = Join-Path (Join-Path $env:APPDATA 'callctl') 'Config'
    }
    elseif ($IsMacOS) {
        $dir = Join-Path $HOME 'Library/Preferences/callctl'
    }
    else {
        $base = $env:XDG_CONFIG_HOME
        if (-not $base) { $base = Join-Path $HOME '.config' }
        $dir = Join-Path $base 'callctl'
    }
    Join-Path $dir 'config.json'
}

# The listener's address, token and command segments from callctl's config, as `callctl make` reads them: a user
# who moves the port, sets a token or renames /make edits no script. -Port and -Token still win.
function Get-CallctlSettings {
    $settings = @{ Address = '127.0.0.1'; Port = $script:DefaultPort; Token = ''; Segments = @{} }
    foreach ($name in $script:Commands) { $settings.Segments[$name] = $name.ToLower() }
    $file = Get-CallctlConfigPath
    if (-not (Test-Path -LiteralPath $file -PathType Leaf)) { return $settings }
    try {
        $config = Get-Content -LiteralPath $file -Raw -ErrorAction Stop | ConvertFrom-Json -ErrorAction Stop
    }
    catch {
        Write-Warning "callctl: cannot read ${file} ($($_.Exception.Message)); using port $($settings.Port)"
        return $settings
    }
    if ($config.port -as [int]) { $settings.Port = [int]$config.port }
    if ($config.host -and @('0.0.0.0', '::') -notcontains $config.host) { $settings.Address = [string]$config.host }
    if ($config.security -and $config.security.token) { $settings.Token = [string]$config.security.token }
    if ($config.commands) {
        foreach ($name in $script:Commands) {
            $segment = $config.commands.($name.ToLower())
            if ($segment) { $settings.Segments[$name] = [uri]::EscapeDataString([string]$segment) }
        }
    }
    $settings
}

function Invoke-CallctlRequest {
    param(
        [Parameter(Mandatory)][ValidateSet('Make', 'Answer', 'End', 'Reject', 'Hold', 'Resume', 'Transfer', 'Dtmf', 'Mute', 'Unmute', 'Status')][string]$Command,
        # The number or digits that follow the segment (/make/<number>, /transfer/<number>, /dtmf/<digits>).
        [string]$Argument,
        [string]$CallId,
        [int]$Port,
        [string]$Token,
        [int]$TimeoutSec = 5
    )
    $settings = Get-CallctlSettings
    if (-not $Port) { $Port = $settings.Port }
    if (-not $Token) { $Token = $settings.Token }
    if ($Command -eq 'Status') { $path = '/status' }
    else {
        $path = "/$($settings.Segments[$Command])"
        if ($Argument) { $path += "/$([uri]::EscapeDataString($Argument))" }
        if ($CallId) { $path += "?call=$([uri]::EscapeDataString($CallId))" }
    }
    $method = 'Post'
    if ($Command -eq 'Status') { $method = 'Get' }
    $address = $settings.Address
    if ($address.Contains(':')) { $address = "[$address]" }
    $uri = "http://${address}:$Port$path"
    $headers = @{}
    if ($Token) { $headers['Authorization'] = "Bearer $Token" }
    try {
        Invoke-RestMethod -Method $method -Uri $uri -Headers $headers -TimeoutSec $TimeoutSec -UseBasicParsing -ErrorAction Stop
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
    The port of `callctl listen` (default: `port` in callctl's config, else 5678).
    .PARAMETER Token
    The listener's token (default: `security.token` in callctl's config, which this module reads).
    .EXAMPLE
    Start-Call -Number 020123456
    .EXAMPLE
    Start-Call "+31 20 123 4567" -Port 5679 -Token $env:CALLCTL_TOKEN
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)][string]$Number,
        [int]$Port,
        [string]$Token
    )
    (Invoke-CallctlRequest -Command Make -Argument $Number -Port $Port -Token $Token).call
}

function Confirm-Call {
    <#
    .SYNOPSIS
    Answers the ringing call (the oldest one) through the callctl listener.
    .PARAMETER Port
    The port of `callctl listen` (default: `port` in callctl's config, else 5678).
    .PARAMETER Token
    The listener's token (default: `security.token` in callctl's config).
    .EXAMPLE
    Confirm-Call
    #>
    [CmdletBinding()]
    param([int]$Port, [string]$Token)
    (Invoke-CallctlRequest -Command Answer -Port $Port -Token $Token).call
}

function Stop-Call {
    <#
    .SYNOPSIS
    Ends the current call through the callctl listener.
    .PARAMETER Port
    The port of `callctl listen` (default: `port` in callctl's config, else 5678).
    .PARAMETER Token
    The listener's token (default: `security.token` in callctl's config).
    .EXAMPLE
    Stop-Call
    #>
    [CmdletBinding()]
    param([int]$Port, [string]$Token)
    (Invoke-CallctlRequest -Command End -Port $Port -Token $Token).call
}

function Suspend-Call {
    <#
    .SYNOPSIS
    Puts the current call (or -CallId) on hold through the callctl listener.
    .PARAMETER CallId
    The id of the call to act on (from Get-CallStatus); without it, the current call.
    .PARAMETER Port
    The port of `callctl listen` (default: `port` in callctl's config, else 5678).
    .PARAMETER Token
    The listener's token, when one is set.
    .EXAMPLE
    Suspend-Call
    #>
    [CmdletBinding()]
    param([int]$Port, [string]$Token, [string]$CallId)
    (Invoke-CallctlRequest -Command Hold -CallId $CallId -Port $Port -Token $Token).call
}

function Resume-Call {
    <#
    .SYNOPSIS
    Takes a held call off hold (the one held last, or -CallId); the call talked on goes on hold, so this swaps calls.
    .PARAMETER CallId
    The id of the call to act on (from Get-CallStatus); without it, the current call.
    .PARAMETER Port
    The port of `callctl listen` (default: `port` in callctl's config, else 5678).
    .PARAMETER Token
    The listener's token, when one is set.
    .EXAMPLE
    Resume-Call -CallId sim-1234
    #>
    [CmdletBinding()]
    param([int]$Port, [string]$Token, [string]$CallId)
    (Invoke-CallctlRequest -Command Resume -CallId $CallId -Port $Port -Token $Token).call
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
    The port of `callctl listen` (default: `port` in callctl's config, else 5678).
    .PARAMETER Token
    The listener's token, when one is set.
    .EXAMPLE
    Move-Call -Number 201
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory, Position = 0)][string]$Number, [int]$Port, [string]$Token, [string]$CallId)
    (Invoke-CallctlRequest -Command Transfer -Argument $Number -CallId $CallId -Port $Port -Token $Token).call
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
    The port of `callctl listen` (default: `port` in callctl's config, else 5678).
    .PARAMETER Token
    The listener's token, when one is set.
    .EXAMPLE
    Send-CallDtmf -Digits "1234#"
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory, Position = 0)][string]$Digits, [int]$Port, [string]$Token, [string]$CallId)
    (Invoke-CallctlRequest -Command Dtmf -Argument $Digits -CallId $CallId -Port $Port -Token $Token).call
}

function Disable-CallMicrophone {
    <#
    .SYNOPSIS
    Mutes your microphone on the current call (or -CallId).
    .PARAMETER CallId
    The id of the call to act on (from Get-CallStatus); without it, the current call.
    .PARAMETER Port
    The port of `callctl listen` (default: `port` in callctl's config, else 5678).
    .PARAMETER Token
    The listener's token, when one is set.
    .EXAMPLE
    Disable-CallMicrophone
    #>
    [CmdletBinding()]
    param([int]$Port, [string]$Token, [string]$CallId)
    (Invoke-CallctlRequest -Command Mute -CallId $CallId -Port $Port -Token $Token).call
}

function Enable-CallMicrophone {
    <#
    .SYNOPSIS
    Unmutes your microphone on the current call (or -CallId).
    .PARAMETER CallId
    The id of the call to act on (from Get-CallStatus); without it, the current call.
    .PARAMETER Port
    The port of `callctl listen` (default: `port` in callctl's config, else 5678).
    .PARAMETER Token
    The listener's token, when one is set.
    .EXAMPLE
    Enable-CallMicrophone
    #>
    [CmdletBinding()]
    param([int]$Port, [string]$Token, [string]$CallId)
    (Invoke-CallctlRequest -Command Unmute -CallId $CallId -Port $Port -Token $Token).call
}

function Deny-Call {
    <#
    .SYNOPSIS
    Declines the ringing call (the oldest one, or -CallId): the caller hears busy.
    .PARAMETER CallId
    The id of the call to act on (from Get-CallStatus); without it, the current call.
    .PARAMETER Port
    The port of `callctl listen` (default: `port` in callctl's config, else 5678).
    .PARAMETER Token
    The listener's token, when one is set.
    .EXAMPLE
    Deny-Call
    #>
    [CmdletBinding()]
    param([int]$Port, [string]$Token, [string]$CallId)
    (Invoke-CallctlRequest -Command Reject -CallId $CallId -Port $Port -Token $Token).call
}

function Get-CallStatus {
    <#
    .SYNOPSIS
    Shows the callctl listener's driver and its live calls.
    .PARAMETER Port
    The port of `callctl listen` (default: `port` in callctl's config, else 5678).
    .PARAMETER Token
    The listener's token (default: `security.token` in callctl's config).
    .EXAMPLE
    (Get-CallStatus).calls
    #>
    [CmdletBinding()]
    param([int]$Port, [string]$Token)
    Invoke-CallctlRequest -Command Status -Port $Port -Token $Token
}

Export-ModuleMember -Function @(
    'Start-Call', 'Confirm-Call', 'Stop-Call', 'Get-CallStatus',
    'Suspend-Call', 'Resume-Call', 'Move-Call', 'Send-CallDtmf', 'Disable-CallMicrophone', 'Enable-CallMicrophone', 'Deny-Call'
)
