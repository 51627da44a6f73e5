# callctl call control for PowerShell (Windows PowerShell 5.1 and PowerShell 7): make, answer and end calls
# through the local callctl listener. Import-Module .\CallControl.psd1, then Get-Help Start-Call -Full.

$script:DefaultPort = 5678

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
    $settings = @{ Address = '127.0.0.1'; Port = $script:DefaultPort; Token = ''; Make = 'make'; Answer = 'answer'; End = 'end' }
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
        foreach ($name in @('Make', 'Answer', 'End')) {
            $segment = $config.commands.($name.ToLower())
            if ($segment) { $settings[$name] = [uri]::EscapeDataString([string]$segment) }
        }
    }
    $settings
}

function Invoke-CallctlRequest {
    param(
        [Parameter(Mandatory)][ValidateSet('Make', 'Answer', 'End', 'Status')][string]$Command,
        [string]$Number,
        [int]$Port,
        [string]$Token,
        [int]$TimeoutSec = 5
    )
    $settings = Get-CallctlSettings
    if (-not $Port) { $Port = $settings.Port }
    if (-not $Token) { $Token = $settings.Token }
    $path = switch ($Command) {
        'Make' { "/$($settings.Make)/$([uri]::EscapeDataString($Number))" }
        'Status' { '/status' }
        default { "/$($settings[$Command])" }
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
    (Invoke-CallctlRequest -Command Make -Number $Number -Port $Port -Token $Token).call
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

Export-ModuleMember -Function @('Start-Call', 'Confirm-Call', 'Stop-Call', 'Get-CallStatus')
