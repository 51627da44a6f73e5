# Ends the current call through callctl: .\end-call.ps1 [-Port PORT] [-Token TOKEN]
param([int]$Port, [string]$Token)
Import-Module (Join-Path $PSScriptRoot 'CallControl.psd1') -Force
Stop-Call -Port $Port -Token $Token
