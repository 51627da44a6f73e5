# Dials a number through callctl: .\make-call.ps1 020123456 [-Port 5678] [-Token TOKEN]
param(
    [Parameter(Mandatory, Position = 0)][string]$Number,
    [int]$Port = 5678,
    [string]$Token
)
Import-Module (Join-Path $PSScriptRoot 'CallControl.psd1') -Force
Start-Call -Number $Number -Port $Port -Token $Token
