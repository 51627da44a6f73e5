# Dials a number through callctl: .\make-call.ps1 020123456 [-Port PORT] [-Token TOKEN]
param(
    [Parameter(Mandatory, Position = 0)][string]$Number,
    [int]$Port,
    [string]$Token
)
Import-Module (Join-Path $PSScriptRoot 'CallControl.psd1') -Force
Start-Call -Number $Number -Port $Port -Token $Token
